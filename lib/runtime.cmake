# usbpo::runtime — the inference subset for bare-metal targets: verify a policy
# blob (its checksum first), place it in caller memory, act. No exceptions,
# RTTI, heap, threads or file system. Included from lib/CMakeLists.txt when
# USBPO_RUNTIME_ONLY is ON.
# The layers it takes whole: runtime (policy, C ABI), nn (ops, networks) and
# base (arena, status, rng, checksums).
file(GLOB usbpo_runtime_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/runtime/*.cpp
     ${CMAKE_CURRENT_SOURCE_DIR}/src/nn/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/src/base/*.cpp)
add_library(usbpo_runtime STATIC ${usbpo_runtime_sources})
add_library(usbpo::runtime ALIAS usbpo_runtime)
set_target_properties(usbpo_runtime PROPERTIES EXPORT_NAME runtime)
target_include_directories(usbpo_runtime PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(usbpo_runtime PUBLIC Eigen3::Eigen)
target_compile_features(usbpo_runtime PUBLIC cxx_std_17)
add_dependencies(usbpo_runtime usbpo_schemas)

# The FlatBuffers headers sit in the build machine's /usr/include, beside glibc's;
# a target compiler must see only the flatbuffers/ folder, so link just that.
set(usbpo_flatbuffers_only ${CMAKE_CURRENT_BINARY_DIR}/flatbuffers_only)
file(MAKE_DIRECTORY ${usbpo_flatbuffers_only})
file(CREATE_LINK ${USBPO_FLATBUFFERS_INCLUDE_DIR}/flatbuffers ${usbpo_flatbuffers_only}/flatbuffers SYMBOLIC)
target_include_directories(usbpo_runtime PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src ${CMAKE_CURRENT_BINARY_DIR}/generated
                                                 ${usbpo_flatbuffers_only} ${usbpo_xxhash_only})

# A microcontroller stack is kilobytes: Eigen's temporaries above 16 KiB would go
# to the heap, and the single-observation act path stays far below that.
target_compile_definitions(usbpo_runtime PUBLIC EIGEN_STACK_ALLOCATION_LIMIT=16384)
# One thread of control: no guard calls around function-local statics.
target_compile_options(usbpo_runtime PRIVATE -fno-exceptions -fno-rtti -fno-threadsafe-statics
                                             -ffunction-sections -fdata-sections)
set_source_files_properties(src/nn/ops_kernels_generic.cpp PROPERTIES COMPILE_OPTIONS -fno-math-errno)
# The checksum runs once per load: small beats fast here (XXH3 takes 1.6 KB of
# flash at -Os, 5.6 KB at -O3 on a Cortex-M7).
set_source_files_properties(src/base/file_checksum.cpp PROPERTIES COMPILE_OPTIONS -Os)
usbpo_target_defaults(usbpo_runtime)
