#pragma once
// Peak resident memory of a whole local job: the sum of VmHWM over the job's processes, read from
// /proc. The job's root is the process the user started (which init() turned into the bridge):
// the farthest ancestor running the same executable. Every process of a local job descends from
// it, so the sum covers the bridge, the monitors, the top process and the workers, as long as they
// are alive when it is read (read it while the dataflow context still holds its workers).

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace bench::dataflow {

namespace detail {

inline std::optional<pid_t> parent_of(pid_t process) {
  std::ifstream stat("/proc/" + std::to_string(process) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // The command name may hold spaces and parentheses: the fields resume after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  char state = 0;
  long parent = 0;
  std::istringstream rest(line.substr(close + 1));
  if (!(rest >> state >> parent)) return std::nullopt;
  return static_cast<pid_t>(parent);
}

inline std::string executable_of(pid_t process) {
  std::error_code error;
  auto target = std::filesystem::read_symlink("/proc/" + std::to_string(process) + "/exe", error);
  return error ? std::string() : target.string();
}

// A value in kB from /proc/<pid>/status ("VmHWM:    1234 kB"), in bytes; 0 when absent.
inline std::uint64_t status_bytes(pid_t process, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(process) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  return 0;
}

}  // namespace detail

// The farthest ancestor of this process (itself included) running the same executable.
inline pid_t job_root() {
  const std::string self = detail::executable_of(::getpid());
  pid_t root = ::getpid();
  for (auto parent = detail::parent_of(root); parent && *parent > 1;
       parent = detail::parent_of(*parent)) {
    if (detail::executable_of(*parent) != self) break;
    root = *parent;
  }
  return root;
}

struct job_memory {
  std::uint64_t peak_bytes = 0;  // the sum of VmHWM
  std::size_t processes = 0;
};

// Sums VmHWM over root and every live process below it.
inline job_memory job_peak_memory(pid_t root) {
  std::map<pid_t, pid_t> parents;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto process = static_cast<pid_t>(std::stol(name));
    if (auto parent = detail::parent_of(process)) parents[process] = *parent;
  }
  job_memory sum;
  for (const auto& [process, parent] : parents) {
    pid_t p = process;
    while (p != root && parents.contains(p)) p = parents[p];
    if (p != root) continue;
    sum.peak_bytes += detail::status_bytes(process, "VmHWM");
    ++sum.processes;
  }
  return sum;
}

// Resets this process's VmHWM to its current resident size, so that what came before (the
// baselines, the input generator) does not count. Best effort: kernels without it keep the old
// peak.
inline void reset_own_peak_memory() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

}  // namespace bench::dataflow
