# The Python port's tests: pytest over ports/python/tests with the package of
# this build, and a C++ program that gives the C++ runtime's and envs' side of
# the bit-for-bit comparisons. Included by ports/python/CMakeLists.txt.
add_executable(usbpo_python_reference ${CMAKE_CURRENT_SOURCE_DIR}/tests/reference_helper.cpp)
target_link_libraries(usbpo_python_reference PRIVATE usbpo_python_cli)
usbpo_target_defaults(usbpo_python_reference)

set(usbpo_python_test_env
  "PYTHONPATH=${CMAKE_CURRENT_BINARY_DIR}" "PYTHONDONTWRITEBYTECODE=1"
  "USBPO_PYTHON_REFERENCE=$<TARGET_FILE:usbpo_python_reference>")
if(TARGET usbpo_cli)  # the runs are compared with the command's
  list(APPEND usbpo_python_test_env "USBPO_CLI=$<TARGET_FILE:usbpo_cli>")
endif()
if(USBPO_SANITIZE MATCHES "address")
  # The interpreter is not built with ASan: its runtime must be loaded first,
  # with the C++ runtime beside it (else ASan cannot intercept the first C++
  # throw, libstdc++ being loaded later with the module), and the
  # interpreter's own allocations at exit are not leaks of ours.
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so OUTPUT_VARIABLE usbpo_libasan
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.so OUTPUT_VARIABLE usbpo_libstdcxx
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND usbpo_python_test_env "LD_PRELOAD=${usbpo_libasan} ${usbpo_libstdcxx}" "ASAN_OPTIONS=detect_leaks=0")
endif()
set(usbpo_pytest ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider -rs ${CMAKE_CURRENT_SOURCE_DIR}/tests)
add_test(NAME Python.Bindings COMMAND ${usbpo_pytest} -m "not learning")
# The learning runs (SAC learns Pendulum; the README's quickstart) are named like the core's
# learning tests, which the sanitizer pass leaves out.
add_test(NAME Learning.PythonSacPendulumAndQuickstart COMMAND ${usbpo_pytest} -m learning)
set_tests_properties(Python.Bindings Learning.PythonSacPendulumAndQuickstart PROPERTIES
  ENVIRONMENT "${usbpo_python_test_env}" LABELS python WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
usbpo_fail_tests_on_sanitizer_reports()
