/* Minimal Cortex-M7 start-up: vector table, .data/.bss set-up, FPU on, main. */
#include <stdint.h>
#include <string.h>

#include "semihosting.h"

extern uint32_t _stack_top, _data_start, _data_end, _data_load, _bss_start, _bss_end;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);

void reset_handler(void) {
  memcpy(&_data_start, &_data_load, (size_t)((char*)&_data_end - (char*)&_data_start));
  memset(&_bss_start, 0, (size_t)((char*)&_bss_end - (char*)&_bss_start));
  /* Full access to coprocessors 10 and 11 (the FPU) before any float code runs. */
  volatile uint32_t* cpacr = (volatile uint32_t*)0xE000ED88u;
  *cpacr |= 0xFu << 20;
  __asm volatile("dsb\n isb" ::: "memory");
  for (void (**f)(void) = __init_array_start; f != __init_array_end; ++f) (*f)();
  semihost_exit(main());
}

static void fault_handler(void) {
  semihost_write("bare_metal: hard fault\n");
  semihost_exit(1);
}

/* Initial stack pointer, reset, then the system exceptions (NMI .. SysTick). */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_stack_top, reset_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, fault_handler};
