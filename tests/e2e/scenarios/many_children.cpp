// Dozens of children alive at once. Each child marks its start in a directory and waits until all
// have started, so the scenario passes only if all of them really ran at the same time.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

constexpr int children = 40;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

int count_files(const fs::path& dir, const std::string& prefix) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().starts_with(prefix)) ++n;
  return n;
}

// True when prefix files reach count before the deadline.
bool wait_for(const fs::path& dir, const std::string& prefix, int count,
              std::chrono::seconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (count_files(dir, prefix) < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

void touch(const fs::path& file) {
  std::ofstream{file};
}

void child(constellation::pid, std::string dir, int index) {
  touch(fs::path(dir) / ("started." + std::to_string(index)));
  if (!wait_for(dir, "started.", children, 30s)) {
    std::cout << "child " << index << " saw only " << count_files(dir, "started.")
              << " children started\n";
    std::exit(1);
  }
  touch(fs::path(dir) / ("done." + std::to_string(index)));
  std::cout << "all started\n";
}

}  // namespace

CONSTELLATION_SCENARIO(many_children) {
  std::string dir = (fs::temp_directory_path() / "e2e_many_children.XXXXXX").string();
  if (!::mkdtemp(dir.data())) return 2;
  // Little CPU per child, so that a future capacity check on a 2-core machine admits all at once.
  for (int i = 0; i < children; ++i)
    constellation::spawn({.mem = 32 * constellation::MiB, .cpu = 0.01}, child, dir, i);
  const bool all_done = wait_for(dir, "done.", children, 40s);
  fs::remove_all(dir);
  std::cout << (all_done ? "all children were alive at once\n" : "not all children finished\n");
  return all_done ? 0 : 1;
}
