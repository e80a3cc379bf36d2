# `cmake --install build --prefix P` makes constellation usable from another CMake project:
#   find_package(constellation CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE constellation::constellation)   # and constellation::dataflow
include(CMakePackageConfigHelpers)

set(constellation_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/constellation)

install(TARGETS constellation constellation_dataflow EXPORT constellation_targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Only include/constellation/ is public; src/ holds internal headers and stays out of the package.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/libconstellation/include/constellation
                  ${PROJECT_SOURCE_DIR}/dataflow/include/constellation
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT constellation_targets
  NAMESPACE constellation::
  FILE constellationTargets.cmake
  DESTINATION ${constellation_cmake_dir})

# A static library's PRIVATE link dependencies end up on the consumer's link line, so the config
# file must find them too; a shared library hides them.
get_target_property(constellation_type constellation TYPE)
if(constellation_type STREQUAL "STATIC_LIBRARY")
  set(CONSTELLATION_STATIC ON)
else()
  set(CONSTELLATION_STATIC OFF)
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/constellationConfig.cmake.in
  ${PROJECT_BINARY_DIR}/constellationConfig.cmake
  INSTALL_DESTINATION ${constellation_cmake_dir})
# Before 1.0 a minor release may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/constellationConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/constellationConfig.cmake
              ${PROJECT_BINARY_DIR}/constellationConfigVersion.cmake
  DESTINATION ${constellation_cmake_dir})
