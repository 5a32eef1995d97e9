/* Arm semihosting: text and the exit status go to the debugger or emulator
   (qemu-system-arm -semihosting). On a board without a debug probe attached,
   replace these two with a UART write and a reset. */
#ifndef USBPO_BARE_METAL_SEMIHOSTING_H
#define USBPO_BARE_METAL_SEMIHOSTING_H

static inline int semihost_call(int operation, const void* argument) {
  register int r0 __asm("r0") = operation;
  register const void* r1 __asm("r1") = argument;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static inline void semihost_write(const char* text) { semihost_call(0x04, text); /* SYS_WRITE0 */ }

/* SYS_EXIT: "application exit" ends qemu with status 0, a run-time error with 1. */
static inline void semihost_exit(int status) {
  semihost_call(0x18, (const void*)(status == 0 ? 0x20026 : 0x20023));
  for (;;) {
  }
}

#endif
