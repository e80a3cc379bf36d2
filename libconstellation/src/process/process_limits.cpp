#include "process/process_limits.hpp"

#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <expected>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

namespace constellation::process {
namespace {

namespace fs = std::filesystem;

// Fast enough to stop a process before it takes much more than its share of a node, cheap enough
// (one read of /proc/<pid>/status) to run for every process.
constexpr std::chrono::milliseconds watcher_interval{50};
constexpr std::uint64_t cpu_period_us = 100'000;
constexpr std::uint64_t min_cpu_quota_us = 1'000;  // the kernel refuses shorter quotas

// A mounted cgroup hierarchy that offers a controller.
struct hierarchy {
  fs::path mount;
  fs::path root;  // the part of the hierarchy the mount shows: "/", or a group in a container
  bool v2 = false;
};

bool has_word(std::string_view list, std::string_view word, std::string_view separators) {
  while (!list.empty()) {
    auto end = std::min(list.find_first_of(separators), list.size());
    if (list.substr(0, end) == word) return true;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return false;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Plain open/write rather than a stream: cgroup files report a refused value as the write's errno.
std::error_code write_file(const fs::path& file, std::string_view value) {
  const posix::unique_fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return {errno, std::system_category()};
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return {errno, std::system_category()};
  return {};
}

std::string describe(const fs::path& file, std::error_code ec) {
  return file.string() + ": " + ec.message();
}

std::string describe_errno(const fs::path& file) {
  return describe(file, {errno, std::system_category()});
}

// The value after key in a file of "key value" lines (memory.events, memory.oom_control).
std::optional<std::uint64_t> read_counter(const fs::path& file, std::string_view key) {
  std::ifstream in(file);
  std::string name;
  std::uint64_t value = 0;
  while (in >> name >> value) {
    if (name == key) return value;
  }
  return std::nullopt;
}

// Where controller can be used: a v1 hierarchy mounted with it, or a v2 hierarchy whose root hands
// it down to child groups. We never enable a controller in a v2 root ourselves: that would change
// how the whole machine is set up.
std::optional<hierarchy> find_hierarchy(std::string_view controller) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // "id parent major:minor root mount_point options [optional...] - type source super_options"
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream before(line.substr(0, dash)), after(line.substr(dash + 3));
    std::string id, parent, device, root, mount, type, source, options;
    before >> id >> parent >> device >> root >> mount;
    after >> type >> source >> options;
    if (type == "cgroup" && has_word(options, controller, ","))
      return hierarchy{mount, root, false};
    if (type == "cgroup2" &&
        has_word(read_file(fs::path(mount) / "cgroup.subtree_control"), controller, " \n")) {
      return hierarchy{mount, root, true};
    }
  }
  return std::nullopt;
}

// The group of this process in h, as a directory: /proc/self/cgroup names it within the hierarchy
// ("4:memory:/system.slice/x.service", "0::/..." for v2), relative to what the mount shows.
fs::path own_group(const hierarchy& h, std::string_view controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string_view controllers =
        std::string_view(line).substr(first + 1, second - first - 1);
    if (h.v2 ? !controllers.empty() : !has_word(controllers, controller, ",")) continue;
    const fs::path path = line.substr(second + 1);
    const auto relative = path.lexically_relative(h.root);
    if (relative.empty() || *relative.begin() == "..") return h.mount;
    return relative == "." ? h.mount : h.mount / relative;
  }
  return h.mount;
}

// The parent of every group we make. It stays: removing it would race with other monitors making
// their groups in it. Under the group of the process (the daemon's, which a service manager may
// have delegated to it) where a v1 hierarchy allows it. A v2 group hands controllers down only
// while it holds no process, so there the daemon prepares a parent beside its own leaf
// (cgroup_delegation.hpp) and names it in the environment; else the hierarchy's root holds it.
fs::path parent_group(const hierarchy& h, std::string_view controller) {
  if (!h.v2) return own_group(h, controller) / "constellation";
  if (const char* delegated = std::getenv(delegated_parent_variable); delegated && *delegated) {
    return delegated;
  }
  return h.mount / "constellation";
}

// For v2: lets the groups under the parent use controller. A v2 group passes a controller to its
// children only when its cgroup.subtree_control lists it, which is allowed because the parent never
// holds a process itself. Empty on success, else what failed.
std::string enable_controller(const hierarchy& h, std::string_view controller) {
  auto file = parent_group(h, controller) / "cgroup.subtree_control";
  auto ec = write_file(file, "+" + std::string(controller));
  return ec ? describe(file, ec) : std::string();
}

// Makes <mount>/constellation/<name> with controller in it.
std::expected<fs::path, std::string> make_group(const hierarchy& h, const std::string& name,
                                                std::string_view controller) {
  fs::path parent = parent_group(h, controller);
  if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return std::unexpected(describe_errno(parent));
  }
  if (h.v2) {
    if (auto error = enable_controller(h, controller); !error.empty()) {
      return std::unexpected(error);
    }
  }
  fs::path dir = parent / name;
  if (::mkdir(dir.c_str(), 0755) != 0) {
    // A group left behind by a monitor that crashed: take it over once it is empty.
    if (errno != EEXIST || ::rmdir(dir.c_str()) != 0 || ::mkdir(dir.c_str(), 0755) != 0) {
      return std::unexpected(describe_errno(dir));
    }
  }
  return dir;
}

// Called before any process is in the group, so that none ever runs unlimited.
// Empty on success, else what failed.
std::string limit_memory(const fs::path& dir, bool v2, std::uint64_t bytes) {
  auto set = [&](const char* file, const std::string& value) -> std::string {
    auto ec = write_file(dir / file, value);
    return ec ? describe(dir / file, ec) : std::string();
  };
  auto present = [&](const char* file) { return fs::exists(dir / file); };
  std::string error;
  if (v2) {
    error = set("memory.max", std::to_string(bytes));
    // No swap, so that a process cannot go on past its limit at disk speed. The file exists only
    // when the kernel accounts swap.
    if (error.empty() && present("memory.swap.max")) error = set("memory.swap.max", "0");
    // Kill the whole group on an out-of-memory event: the process's children do not linger
    // without it, and the process itself certainly ends with SIGKILL, which memory_limit_hit reads.
    if (error.empty() && present("memory.oom.group")) error = set("memory.oom.group", "1");
    return error;
  }
  error = set("memory.limit_in_bytes", std::to_string(bytes));
  // Memory plus swap, written after the memory limit because the kernel wants it no smaller.
  if (error.empty() && present("memory.memsw.limit_in_bytes")) {
    error = set("memory.memsw.limit_in_bytes", std::to_string(bytes));
  }
  // A group inherits oom_kill_disable from its parent; with it set, a process over its limit would
  // hang instead of being killed. Written only when needed because the kernel warns that writes
  // to this v1 file are deprecated.
  if (error.empty() &&
      read_counter(dir / "memory.oom_control", "oom_kill_disable").value_or(0) != 0) {
    error = set("memory.oom_control", "0");
  }
  return error;
}

std::string limit_cpu(const fs::path& dir, bool v2, double cpu) {
  auto quota =
      std::max(min_cpu_quota_us, static_cast<std::uint64_t>(std::llround(cpu * cpu_period_us)));
  auto set = [&](const char* file, const std::string& value) -> std::string {
    auto ec = write_file(dir / file, value);
    return ec ? describe(dir / file, ec) : std::string();
  };
  if (v2) return set("cpu.max", std::to_string(quota) + " " + std::to_string(cpu_period_us));
  auto error = set("cpu.cfs_period_us", std::to_string(cpu_period_us));
  return error.empty() ? set("cpu.cfs_quota_us", std::to_string(quota)) : error;
}

void validate(const std::string& call, const std::string& name, const limit_request& r) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw std::invalid_argument(call + ": \"" + name +
                                "\" cannot name a cgroup; give a unique name without '/'");
  }
  if (r.mem_bytes == 0) throw std::invalid_argument(call + ": mem_bytes is 0");
  if (r.limit_cpu && !(r.cpu > 0 && std::isfinite(r.cpu))) {
    throw std::invalid_argument(call + ": cpu must be a positive number of cores");
  }
}

}  // namespace

delegation_outcome use_delegated_cgroup() {
  auto h = find_hierarchy("memory");
  if (!h || !h->v2) return {};
  const fs::path own = own_group(*h, "memory");
  const fs::path shared_parent = h->mount / "constellation";
  if (own == h->mount) return {false, "processes' cgroups go under " + shared_parent.string()};
  const auto refused = [&](const std::string& problem) {
    return delegation_outcome{false, "processes' cgroups go under " + shared_parent.string() +
                                         ", not under this daemon's group " + own.string() + " (" +
                                         problem +
                                         "; a service manager delegates it with "
                                         "Delegate=yes)"};
  };
  if (::access((own / "cgroup.subtree_control").c_str(), W_OK) != 0) {
    return refused(describe_errno(own / "cgroup.subtree_control"));
  }
  const fs::path leaf = own / "daemon", parent = own / "processes";
  for (const auto& dir : {leaf, parent}) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return refused(describe_errno(dir));
  }
  if (auto ec = write_file(leaf / "cgroup.procs", "0")) return refused(describe(leaf, ec));
  std::string controllers;
  const auto offered = read_file(own / "cgroup.controllers");
  for (const char* c : {"memory", "cpu"}) {
    if (has_word(offered, c, " \n"))
      controllers += std::string(controllers.empty() ? "+" : " +") + c;
  }
  // EBUSY here: another process shares the group, which a group that hands controllers down
  // cannot hold.
  for (const auto& dir : {own, parent}) {
    if (auto ec = write_file(dir / "cgroup.subtree_control", controllers)) {
      return refused(describe(dir / "cgroup.subtree_control", ec));
    }
  }
  ::setenv(delegated_parent_variable, parent.c_str(), 1);
  return {true, "processes' cgroups go under " + parent.string() +
                    " in this daemon's delegated group; the daemon moved to " + leaf.string()};
}

std::optional<std::uint64_t> resident_memory(pid_t os_pid) {
  std::ifstream in("/proc/" + std::to_string(os_pid) + "/status");
  std::optional<std::uint64_t> anon, shmem, rss;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t kib = 0;
    if (!(fields >> key >> kib)) continue;
    if (key == "RssAnon:") anon = kib * 1024;
    if (key == "RssShmem:") shmem = kib * 1024;
    if (key == "VmRSS:") rss = kib * 1024;
  }
  // Kernels before 4.5 give only the total; a process that has exited gives no figure at all.
  if (anon) return *anon + shmem.value_or(0);
  return rss;
}

process_limits process_limits::create(const std::string& name, const limit_request& r) {
  validate("process_limits::create", name, r);
  process_limits limits(kind::watcher, r.mem_bytes);
  auto note = [&](const std::string& problem) {
    limits.fallback_reason_ += (limits.fallback_reason_.empty() ? "" : "; ") + problem;
  };
  auto adopt = [&](const fs::path& dir) {
    limits.dirs_.push_back(dir);
    limits.procs_files_.push_back((dir / "cgroup.procs").string());
  };

  auto memory = find_hierarchy("memory");
  auto cpu = r.limit_cpu ? find_hierarchy("cpu") : std::nullopt;
  // On v2 both controllers usually live in one hierarchy, and so in one group.
  bool one_group = memory && cpu && memory->mount == cpu->mount;

  if (!memory) {
    note("no cgroup hierarchy offers the memory controller");
  } else {
    auto dir = make_group(*memory, name, "memory");
    if (!dir) {
      note(dir.error());
    } else if (auto error = limit_memory(*dir, memory->v2, r.mem_bytes); !error.empty()) {
      note(error);
      ::rmdir(dir->c_str());
    } else {
      adopt(*dir);
      limits.memory_dir_ = *dir;
      limits.kind_ = memory->v2 ? kind::cgroup_v2 : kind::cgroup_v1;
    }
  }

  if (r.limit_cpu && !cpu) {
    note("no cgroup hierarchy offers the cpu controller");
  } else if (cpu) {
    bool shared = one_group && !limits.memory_dir_.empty();
    std::expected<fs::path, std::string> dir = limits.memory_dir_;
    if (!shared) {
      dir = make_group(*cpu, name, "cpu");
    } else if (auto error = enable_controller(*cpu, "cpu"); !error.empty()) {
      // Enabling reaches groups made before, so the memory group now has cpu files too.
      dir = std::unexpected(error);
    }
    if (!dir) {
      note(dir.error());
    } else if (auto error = limit_cpu(*dir, cpu->v2, r.cpu); !error.empty()) {
      note(error);
      if (!shared) ::rmdir(dir->c_str());
    } else {
      if (!shared) adopt(*dir);
      limits.cpu_enforced_ = true;
    }
  }
  return limits;
}

bool process_limits::clear_abandoned(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    return true;
  bool cleared = true;
  for (const char* controller : {"memory", "cpu"}) {
    const auto h = find_hierarchy(controller);
    if (!h) continue;
    const fs::path dir = parent_group(*h, controller) / name;
    if (::access(dir.c_str(), F_OK) != 0)
      continue;  // never made, or removed (v2: one group for both)
    std::ifstream procs(dir / "cgroup.procs");
    pid_t p = 0;
    while (procs >> p) ::kill(p, SIGKILL);
    if (::rmdir(dir.c_str()) != 0 && errno == EBUSY) cleared = false;
  }
  return cleared;
}

process_limits process_limits::create_watcher(const limit_request& r) {
  validate("process_limits::create_watcher", "watcher", r);
  process_limits limits(kind::watcher, r.mem_bytes);
  limits.fallback_reason_ = "the resident-memory watcher was asked for";
  return limits;
}

process_limits::process_limits(process_limits&& other) noexcept
    : kind_(other.kind_),
      mem_bytes_(other.mem_bytes_),
      dirs_(std::move(other.dirs_)),
      procs_files_(std::move(other.procs_files_)),
      memory_dir_(std::move(other.memory_dir_)),
      cpu_enforced_(other.cpu_enforced_),
      watcher_fired_(other.watcher_fired_),
      fallback_reason_(std::move(other.fallback_reason_)) {
  other.dirs_.clear();  // the groups are ours to remove now
}

process_limits& process_limits::operator=(process_limits&& other) noexcept {
  if (this != &other) {
    remove_cgroups();
    kind_ = other.kind_;
    mem_bytes_ = other.mem_bytes_;
    dirs_ = std::move(other.dirs_);
    procs_files_ = std::move(other.procs_files_);
    memory_dir_ = std::move(other.memory_dir_);
    cpu_enforced_ = other.cpu_enforced_;
    watcher_fired_ = other.watcher_fired_;
    fallback_reason_ = std::move(other.fallback_reason_);
    other.dirs_.clear();
  }
  return *this;
}

process_limits::~process_limits() {
  remove_cgroups();
}

void process_limits::remove_cgroups() noexcept {
  for (const auto& dir : dirs_) {
    // A group is busy until the kernel has finished the exit of its last process, which can lag a
    // little behind waitpid(). A process that left descendants behind keeps it busy for good; the
    // group is then left for the operator to see rather than waited on forever.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (::rmdir(dir.c_str()) == 0 || errno != EBUSY) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  dirs_.clear();
}

bool process_limits::enter() const noexcept {
  for (const auto& file : procs_files_) {
    const posix::unique_fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return false;
    if (::write(fd.get(), "0", 1) != 1) return false;  // "0" names the writing process
  }
  return true;
}

std::optional<std::chrono::milliseconds> process_limits::poll_interval() const {
  if (kind_ == kind::watcher) return watcher_interval;
  return std::nullopt;
}

bool process_limits::over_limit(pid_t os_pid) {
  if (kind_ != kind::watcher) return false;
  auto used = resident_memory(os_pid);
  if (!used || *used <= mem_bytes_) return false;
  watcher_fired_ = true;
  return true;
}

bool process_limits::memory_limit_hit(int wait_status) const {
  // Every way the limit stops a process is SIGKILL; any other end is the process's own.
  if (!WIFSIGNALED(wait_status) || WTERMSIG(wait_status) != SIGKILL) return false;
  switch (kind_) {
    case kind::watcher:
      return watcher_fired_;
    case kind::cgroup_v2:
      return read_counter(memory_dir_ / "memory.events", "oom_kill").value_or(0) > 0;
    case kind::cgroup_v1: {
      // oom_kill appeared in Linux 4.13; before, failcnt (times the limit was reached) is the
      // best sign there is.
      if (auto kills = read_counter(memory_dir_ / "memory.oom_control", "oom_kill"))
        return *kills > 0;
      std::uint64_t failures = 0;
      return std::ifstream(memory_dir_ / "memory.failcnt") >> failures && failures > 0;
    }
  }
  return false;
}

const char* process_limits::mechanism() const {
  switch (kind_) {
    case kind::cgroup_v2:
      return "cgroup v2";
    case kind::cgroup_v1:
      return "cgroup v1";
    case kind::watcher:
      break;
  }
  return "resident-memory watcher";
}

}  // namespace constellation::process
