#include "process/descendants.hpp"

#include "posix/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace constellation::process {

namespace {

// The parent of pid from /proc/<pid>/stat: "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so the fields are counted from its last ')'.
pid_t parent_of(const char* pid) {
  char path[300];
  std::snprintf(path, sizeof path, "/proc/%s/stat", pid);
  FILE* f = std::fopen(path, "re");
  if (!f) return -1;
  char line[512];
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  if (!read) return -1;
  const char* close = std::strrchr(line, ')');
  if (!close) return -1;
  char state;
  int parent;
  if (std::sscanf(close + 1, " %c %d", &state, &parent) != 2) return -1;
  return parent;
}

// Whether the kernel lists each thread's children in /proc (CONFIG_PROC_CHILDREN).
bool children_files_exist() {
  static const bool exist = [] {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/task/%d/children", static_cast<int>(::getpid()));
    return ::access(path, R_OK) == 0;
  }();
  return exist;
}

// The children of pid, from /proc/<pid>/task/<tid>/children: one small read per thread. With
// plain system calls into buffers on the stack: a monitor calls this as it ends, and heap buffers
// (opendir's 32 KiB, stdio's) would each cost it page faults.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/task", pid);
  const posix::unique_fd tasks(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!tasks) return children;  // gone: no children
  alignas(8) char entries[4096];
  long n;
  while ((n = ::getdents64(tasks.get(), entries, sizeof entries)) > 0) {
    for (long at = 0; at < n;) {
      const auto* e = reinterpret_cast<const dirent64*>(entries + at);
      at += e->d_reclen;
      if (e->d_name[0] == '.') continue;
      char file[300];
      std::snprintf(file, sizeof file, "/proc/%d/task/%s/children", pid, e->d_name);
      const posix::unique_fd fd(::open(file, O_RDONLY | O_CLOEXEC));
      if (!fd) continue;  // a thread that just ended has none
      char text[4096];
      std::size_t used = 0;
      ssize_t got;
      while (used < sizeof text - 1 &&
             (got = ::read(fd.get(), text + used, sizeof text - 1 - used)) > 0)
        used += static_cast<std::size_t>(got);
      text[used] = '\0';
      for (char* p = text; *p;) {
        char* end;
        const long child = std::strtol(p, &end, 10);
        if (end == p) break;
        children.push_back(static_cast<pid_t>(child));
        p = end;
      }
    }
  }
  return children;
}

// Every process, to find descendants where children files are missing: costs a read per process.
std::vector<pid_t> descendants_by_scan(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      const pid_t parent = parent_of(e->d_name);
      if (parent > 0) children.emplace(parent, static_cast<pid_t>(std::atoi(e->d_name)));
    }
    ::closedir(proc);
  }
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t p = frontier.back();
    frontier.pop_back();
    auto [begin, end] = children.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      found.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return found;
}

}  // namespace

std::vector<pid_t> descendants_of(pid_t root) {
  if (!children_files_exist()) return descendants_by_scan(root);
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t p = frontier.back();
    frontier.pop_back();
    for (pid_t c : children_of(p)) {
      found.push_back(c);
      frontier.push_back(c);
    }
  }
  return found;
}

std::size_t signal_descendants(pid_t root, int signal) {
  const auto all = descendants_of(root);
  for (pid_t p : all) ::kill(p, signal);
  return all.size();
}

}  // namespace constellation::process
