#pragma once
// What every program this project starts with posix_spawn gets: default signal handling and no
// blocked signals, whatever its parent ignores or blocks (a daemon, a test runner, a shell that
// ignores SIGINT), and argument arrays in the form exec wants.

#include <spawn.h>

#include <string>
#include <vector>

namespace constellation::process {

class clean_spawn_attributes {
 public:
  // own_process_group: the child leads a process group of its own, so that it and its
  // descendants can be signalled together.
  explicit clean_spawn_attributes(bool own_process_group = false);
  ~clean_spawn_attributes();
  clean_spawn_attributes(const clean_spawn_attributes&) = delete;
  clean_spawn_attributes& operator=(const clean_spawn_attributes&) = delete;

  const posix_spawnattr_t* get() const { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

// Pointers into strings, ending with nullptr; valid while strings is.
std::vector<char*> c_strings(std::vector<std::string>& strings);

}  // namespace constellation::process
