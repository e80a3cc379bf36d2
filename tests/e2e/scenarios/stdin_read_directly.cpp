// read(2) on fd 0, as a program that does not go through std::cin would: a spawned process,
// forked by the fork server or executed afresh, reads end of file at once, and so does the top
// process once the bridge's stdin (empty here) ended, locally and deployed alike. std::cin cannot
// tell an error from the end (stdin_of_processes), so the call's own result is printed.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

namespace {

std::string read_result() {
  char buffer[256];
  ssize_t n;
  do n = ::read(0, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);
  if (n < 0) return std::string("error: ") + std::strerror(errno);
  return n == 0 ? "end of file" : std::to_string(n) + " bytes";
}

void child(constellation::pid parent, std::string label) {
  std::cout << label << " read " << read_result() << std::endl;
  constellation::sender<int>(parent).send(0);
}

}  // namespace

CONSTELLATION_SCENARIO(stdin_read_directly) {
  // One after the other: the first spawn of a job may be executed while its fork server starts.
  for (const char* label : {"first", "forked"})
    constellation::receiver<int>(constellation::spawn({}, child, std::string(label))).recv();
  constellation::this_process::spawn_by_exec();
  constellation::receiver<int>(constellation::spawn({}, child, std::string("executed"))).recv();
  std::cout << "top read " << read_result() << std::endl;
  return 0;
}
