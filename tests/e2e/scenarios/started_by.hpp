#pragma once
// How this process was started, for the scenarios about spawn's two ways to start a process. Its
// agent started its monitor either by executing the program with CONSTELLATION_MONITOR set, or by
// asking the job's fork server, executed with CONSTELLATION_FORK_SERVER set, to fork it. init()
// removes either variable from the environment, but /proc/self/environ still shows the block the
// process image was executed with, which the monitor and this process inherited.

#include <sys/types.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace e2e {

inline std::string environment_block_of(const std::string& proc_pid) {
  std::ifstream in("/proc/" + proc_pid + "/environ", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "forked by the fork server", "executed", or what else this process's environment block shows.
inline std::string started_by() {
  const std::string block = '\0' + environment_block_of("self");
  const bool forked =
      block.find(std::string(1, '\0') + "CONSTELLATION_FORK_SERVER=") != std::string::npos;
  const bool executed =
      block.find(std::string(1, '\0') + "CONSTELLATION_MONITOR=") != std::string::npos;
  if (forked && !executed) return "forked by the fork server";
  if (executed && !forked) return "executed";
  return forked ? "both?" : "neither (the top process of a local run)";
}

// The parent of process os_pid, from /proc/<pid>/stat ("pid (comm) state ppid ..."); -1 when gone.
inline pid_t parent_of(pid_t os_pid) {
  std::ifstream in("/proc/" + std::to_string(os_pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  char state = 0;
  int parent = -1;
  if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &parent) != 2) return -1;
  return parent;
}

}  // namespace e2e
