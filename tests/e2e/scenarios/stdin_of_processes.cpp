// The top process reads the bridge's stdin; spawned processes find theirs at EOF at once. The
// children are spawned before the top reads, so a child given the bridge's stdin would take bytes
// from the top.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

namespace {

// Through std::cin, as a user would; istreambuf_iterator would be shorter, but GCC 12 warns
// falsely (-Wnull-dereference) on it.
std::string read_stdin() {
  std::string all;
  char buffer[4096];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0)
    all.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
  return all;
}

void child(constellation::pid) {
  std::cout << "child read " << read_stdin().size() << " bytes\n";
}

}  // namespace

CONSTELLATION_SCENARIO(stdin_of_processes) {
  constellation::spawn({}, child);
  constellation::spawn({}, child);
  const std::string input = read_stdin();
  std::cout << "top read " << input.size() << " bytes: " << input;
  return 0;
}
