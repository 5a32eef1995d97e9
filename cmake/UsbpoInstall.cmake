# Install the core (and built ports) with a package config for find_package(usbpo).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(usbpo_export_targets usbpo_core usbpo_threads)
if(TARGET usbpo_mujoco)
  list(APPEND usbpo_export_targets usbpo_mujoco)
endif()
if(TARGET usbpo_cuda)
  list(APPEND usbpo_export_targets usbpo_cuda)
endif()

install(TARGETS ${usbpo_export_targets} EXPORT usbpoTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/usbpo DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET usbpo_cli)
  install(TARGETS usbpo_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT usbpoTargets NAMESPACE usbpo:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/usbpo)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/usbpoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/usbpoConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/usbpo)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/usbpoConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/usbpoConfig.cmake ${PROJECT_BINARY_DIR}/usbpoConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/usbpo)
