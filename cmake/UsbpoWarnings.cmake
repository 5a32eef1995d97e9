# usbpo_target_defaults(target): warnings, optional -march=native and sanitizers
# for usbpo's own targets only (PRIVATE: nothing here reaches consumers).
function(usbpo_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(USBPO_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${target} PRIVATE -O3)
  endif()
  if(USBPO_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${USBPO_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${USBPO_SANITIZE})
  endif()
endfunction()
