# Installs the build tree into a scratch prefix, then configures, builds and
# runs examples/quickstart as an outside project with find_package(usbpo).
# Inputs: -DBUILD_DIR= -DSOURCE_DIR= -DSCRATCH= [-DSANITIZE=]
file(REMOVE_RECURSE ${SCRATCH})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${SCRATCH}/prefix
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
set(flags)
if(SANITIZE)
  list(APPEND flags "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE} -fno-sanitize=vptr"
                    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/quickstart -B ${SCRATCH}/consumer
                        -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix -DCMAKE_BUILD_TYPE=Release ${flags}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer with find_package(usbpo) failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${SCRATCH}/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${SCRATCH}/consumer/quickstart RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message(STATUS "quickstart printed: ${out}")
if(rc)
  message(FATAL_ERROR "the installed quickstart exited with ${rc}")
endif()
