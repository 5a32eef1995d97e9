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
    # vptr checks need RTTI, which the core is built without.
    target_compile_options(${target} PRIVATE -fsanitize=${USBPO_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all -fno-sanitize=vptr)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "STATIC_LIBRARY")
      # Whatever links a sanitized static library needs the runtime too.
      target_link_options(${target} INTERFACE $<BUILD_INTERFACE:-fsanitize=${USBPO_SANITIZE}>)
    elseif(NOT type STREQUAL "OBJECT_LIBRARY")
      target_link_options(${target} PRIVATE -fsanitize=${USBPO_SANITIZE})
    endif()
  endif()
endfunction()
