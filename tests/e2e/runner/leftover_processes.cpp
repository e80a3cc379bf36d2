#include "runner/leftover_processes.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <thread>

namespace e2e {

namespace {

// Empty when the file cannot be read, as for a process that has just gone.
std::string read_all(const std::filesystem::path& file) {
  std::string bytes;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0)
    bytes.append(buffer, static_cast<std::size_t>(got));
  ::close(fd);
  return bytes;
}

bool holds_entry(std::string_view environment, std::string_view entry) {
  while (!environment.empty()) {
    const auto end = environment.find('\0');
    if (environment.substr(0, end) == entry) return true;
    if (end == std::string_view::npos) break;
    environment.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace

std::vector<marked_process> find_marked_processes(std::string_view entry) {
  std::vector<marked_process> found;
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = dir.path().filename().string();
    pid_t os_pid = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), os_pid);
    if (error != std::errc{} || end != name.data() + name.size()) continue;
    if (!holds_entry(read_all(dir.path() / "environ"), entry)) continue;
    std::string command = read_all(dir.path() / "cmdline");
    for (char& c : command)
      if (c == '\0') c = ' ';
    found.push_back({os_pid, command});
  }
  return found;
}

std::vector<marked_process> kill_leftovers(std::string_view entry,
                                           std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  auto alive = find_marked_processes(entry);
  while (!alive.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    alive = find_marked_processes(entry);
  }
  for (const auto& p : alive) ::kill(p.os_pid, SIGKILL);
  return alive;
}

}  // namespace e2e
