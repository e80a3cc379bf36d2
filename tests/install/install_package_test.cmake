# Run by CTest (see CMakeLists.txt): install, then build a consumer against the installed package.
# Inputs: BUILD_DIR, CONSUMER_DIR, WORK_DIR, CXX, MAKE_PROGRAM, LINK_FLAGS.
set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer-build)
# Start from nothing: files left by an earlier run would hide a file the install forgot.
file(REMOVE_RECURSE ${WORK_DIR})

execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
  COMMAND_ERROR_IS_FATAL ANY)

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
