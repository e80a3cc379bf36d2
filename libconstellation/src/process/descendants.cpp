#include "process/descendants.hpp"

#include <dirent.h>
#include <signal.h>

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

}  // namespace

std::vector<pid_t> descendants_of(pid_t root) {
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

std::size_t signal_descendants(pid_t root, int signal) {
  const auto all = descendants_of(root);
  for (pid_t p : all) ::kill(p, signal);
  return all.size();
}

}  // namespace constellation::process
