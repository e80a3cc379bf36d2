# Run by CTest (see CMakeLists.txt): install, then build a consumer against the installed package.
# Inputs: BUILD_DIR, CONSUMER_DIR, WORK_DIR, CXX, MAKE_PROGRAM, LINK_FLAGS, THROUGH_PACKAGE, CPACK.
set(consumer_build ${WORK_DIR}/consumer-build)
# Start from nothing: files left by an earlier run would hide a file the install forgot.
file(REMOVE_RECURSE ${WORK_DIR})

if(THROUGH_PACKAGE)
  execute_process(COMMAND ${CPACK} -G DEB -B ${WORK_DIR}/package --config ${BUILD_DIR}/CPackConfig.cmake
    OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
  file(GLOB debs ${WORK_DIR}/package/constellation_*.deb)
  list(LENGTH debs deb_count)
  if(NOT deb_count EQUAL 1)
    message(FATAL_ERROR "cpack made ${deb_count} packages in ${WORK_DIR}/package, not one: ${debs}")
  endif()
  set(root ${WORK_DIR}/root)
  execute_process(COMMAND dpkg-deb -x ${debs} ${root} COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND dpkg-deb -f ${debs} Package Version Depends OUTPUT_VARIABLE control COMMAND_ERROR_IS_FATAL ANY)
  foreach(expected "Package: constellation" "libssl3" "libboost1.81-dev" "libcereal-dev")
    string(FIND "${control}" "${expected}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "the package's control fields lack \"${expected}\":\n${control}")
    endif()
  endforeach()
  # What an operator and a developer find after installing it.
  foreach(file usr/bin/constellation-fabric usr/bin/constellation-bridge usr/bin/constellation-deploy
               usr/lib/systemd/system/constellation-fabric@.service
               usr/share/man/man8/constellation-fabric.8 usr/share/man/man8/constellation-bridge.8
               usr/share/man/man1/constellation-deploy.1
               usr/share/doc/constellation/nodes.example.toml
               usr/share/doc/constellation/examples/kubernetes/constellation.yaml
               usr/share/doc/constellation/examples/slurm/constellation.sbatch
               usr/include/constellation/constellation.hpp usr/include/constellation/dataflow.hpp
               usr/lib/cmake/constellation/constellationConfig.cmake)
    if(NOT EXISTS ${root}/${file})
      message(FATAL_ERROR "the package lacks /${file}")
    endif()
  endforeach()
  set(prefix ${root}/usr)
else()
  set(prefix ${WORK_DIR}/prefix)
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
    COMMAND_ERROR_IS_FATAL ANY)
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${consumer_build} -G Ninja
    -D CMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
    -D CMAKE_CXX_COMPILER=${CXX}
    -D CMAKE_BUILD_TYPE=Release
    -D CMAKE_PREFIX_PATH=${prefix}
    "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
  COMMAND_ERROR_IS_FATAL ANY)

# find_package() must have used the scratch prefix, not a copy installed elsewhere on the machine.
file(STRINGS ${consumer_build}/CMakeCache.txt found_dir REGEX "^constellation_DIR:")
string(FIND "${found_dir}" "${prefix}/" at)
if(NOT at GREATER -1)
  message(FATAL_ERROR "constellation was found outside ${prefix}: ${found_dir}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} --build ${consumer_build} COMMAND_ERROR_IS_FATAL ANY)

if(NOT EXISTS ${consumer_build}/consumer)
  message(FATAL_ERROR "the consumer built but ${consumer_build}/consumer is missing")
endif()
message(STATUS "install_package: consumer built against ${prefix}")
