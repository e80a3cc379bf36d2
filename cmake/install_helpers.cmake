# Functions the tree's CMakeLists use to declare what `cmake --install` puts where.
# Included near the top of the top-level CMakeLists.txt so that every subdirectory can call them;
# the package itself is assembled at the end, in cmake/install_package.cmake.
include(GNUInstallDirs)

# Installs a program (a daemon, the CLI) to bin/.
function(constellation_install_program target)
  install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
