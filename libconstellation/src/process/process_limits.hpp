#pragma once
// The memory and CPU limits of one user process, applied by the monitor that forks it: by the
// kernel through a cgroup when one can be made, else by a watcher of the process's resident memory.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace constellation::process {

// The environment variable through which a fabric daemon tells its monitors where, in a cgroup v2
// tree delegated to it, the processes' groups go (cgroup_delegation.hpp).
inline constexpr const char* delegated_parent_variable = "CONSTELLATION_CGROUP_PARENT";

struct limit_request {
  std::uint64_t mem_bytes = 0;  // > 0
  double cpu = 1.0;             // logical cores, > 0; read only when limit_cpu
  bool limit_cpu = false;       // the cluster daemon limits CPU; a local run is not slowed down
};

// The memory the watcher holds against a process: its anonymous and shared-memory resident pages.
// Resident file pages (its binary, shared libraries) are left out because a memory cgroup does not
// charge pages another process brought into the page cache, and the watcher must never be stricter
// than the cgroup the same process meets on a cluster node. nullopt when the process is gone.
std::optional<std::uint64_t> resident_memory(pid_t os_pid);

// For a daemon whose monitors start processes under limits, called before it starts any process:
// when its cgroup v2 group is delegated to it (systemd's Delegate=yes: a group other than the root
// whose control files it may write), it moves itself into <group>/daemon and hands the memory and
// cpu controllers down to <group>/processes, which it names to its monitors in the environment
// (delegated_parent_variable). The processes' groups then sit inside the service's own accounting,
// and go with it. Nothing to do elsewhere (v1 groups go under the daemon's own group anyway).
struct delegation_outcome {
  bool delegated = false;
  std::string note;  // for the log: where the groups go, or why not in a delegated group
};
delegation_outcome use_delegated_cgroup();

class process_limits {
 public:
  // Makes the limits for one process, before it is forked; name is unique per process
  // (e.g. "3f2a9c1b5d6e7f80-17") and names its cgroup. Never throws for a missing or forbidden
  // cgroup: falls back to the resident-memory watcher and says why in fallback_reason().
  // Throws std::invalid_argument for an empty or path-like name, mem_bytes 0 or cpu <= 0.
  static process_limits create(const std::string& name, const limit_request& r);
  // The watcher alone, even where cgroups work: for tests, and to compare both mechanisms.
  static process_limits create_watcher(const limit_request& r);

  process_limits(process_limits&& other) noexcept;
  process_limits& operator=(process_limits&& other) noexcept;
  process_limits(const process_limits&) = delete;
  process_limits& operator=(const process_limits&) = delete;
  // Removes the cgroups; blocks up to about a second while the kernel finishes the last exit.
  ~process_limits();

  // After the monitor that made name's groups died without removing them (the OOM killer, kill
  // -9): one pass that sends SIGKILL to every process still in them and removes those that are
  // empty. True once none is left; else call again a few milliseconds later, as killed processes
  // take a moment to leave a group. Never blocks.
  static bool clear_abandoned(const std::string& name);

  // Called in the forked child before it runs user code: moves the calling process into the
  // cgroups (nothing to do for the watcher). Async-signal-safe. False when a move failed; the
  // child then reports that rather than run unlimited.
  bool enter() const noexcept;

  // How often the monitor calls over_limit(); nullopt when the kernel enforces the memory limit.
  std::optional<std::chrono::milliseconds> poll_interval() const;
  // True when os_pid's resident memory is over the limit now; the caller then kills it with
  // SIGKILL. Measures os_pid alone, not processes it forks. Always false when the kernel enforces
  // the limit.
  bool over_limit(pid_t os_pid);
  // After the process ended, given its waitpid() status: true when the memory limit stopped it.
  bool memory_limit_hit(int wait_status) const;

  // "cgroup v2", "cgroup v1" or "resident-memory watcher": what enforces the memory limit.
  const char* mechanism() const;
  bool cpu_enforced() const { return cpu_enforced_; }
  // Why the kernel does not enforce all that was asked; empty when it does.
  const std::string& fallback_reason() const { return fallback_reason_; }
  // The cgroup directories made for this process (none for the watcher alone).
  const std::vector<std::filesystem::path>& cgroup_dirs() const { return dirs_; }

 private:
  enum class kind { cgroup_v2, cgroup_v1, watcher };
  process_limits(kind k, std::uint64_t mem_bytes) : kind_(k), mem_bytes_(mem_bytes) {}
  void remove_cgroups() noexcept;

  kind kind_;
  std::uint64_t mem_bytes_;
  std::vector<std::filesystem::path> dirs_;
  std::vector<std::string> procs_files_;  // made before fork so enter() need not allocate
  std::filesystem::path memory_dir_;      // the group holding the memory limit, if any
  bool cpu_enforced_ = false;
  bool watcher_fired_ = false;
  std::string fallback_reason_;
};

}  // namespace constellation::process
