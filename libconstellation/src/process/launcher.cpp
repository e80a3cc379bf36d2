#include "process/launcher.hpp"
#include "process/spawn_attributes.hpp"

#include <constellation/detail/serialization.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace constellation::process {

namespace {

// The numbers the monitor finds its descriptors at.
constexpr int spec_slot = 3, report_slot = 4, control_slot = 5, listener_slot = 6, stdin_slot = 7;
constexpr int first_free_slot = 8;

std::string errno_text(const char* what, int error) { return std::string(what) + ": " + std::strerror(error); }

std::expected<int, std::string> write_spec_file(const launch_spec& spec) {
  int fd = ::memfd_create("constellation-spec", MFD_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_text("memfd_create", errno));
  const std::string bytes = detail::serialize_value(spec);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return std::unexpected(errno_text("writing the launch spec", e));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

std::expected<pid_t, std::string> launch_monitor(const program_image& image, const launch_spec& spec,
                                                 const monitor_fds& fds) {
  auto spec_fd = write_spec_file(spec);
  if (!spec_fd) return std::unexpected(spec_fd.error());

  // Move every handed descriptor above the slots first, so that mapping one into its slot cannot
  // overwrite another that still waits to be mapped.
  std::pair<int, int> moves[] = {{*spec_fd, spec_slot},           {fds.report, report_slot},
                                 {fds.control, control_slot},     {fds.listener, listener_slot},
                                 {fds.stdin_fd, stdin_slot}};
  for (auto& [from, to] : moves)
    if (from >= 0) from = ::fcntl(from, F_DUPFD_CLOEXEC, 64);
  ::close(*spec_fd);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  for (auto [from, to] : moves)
    if (from >= 0) posix_spawn_file_actions_adddup2(&actions, from, to);
  // Descriptors other threads of a daemon open meanwhile, without O_CLOEXEC, must not leak in.
  posix_spawn_file_actions_addclosefrom_np(&actions, first_free_slot);

  // A monitor starts with default signal handling, whatever its parent ignores or blocks.
  const clean_spawn_attributes attributes;

  std::vector<std::string> argv = image.argv;
  std::vector<std::string> envp = image.envp;
  envp.push_back(std::string(monitor_variable) + "=" + std::to_string(spec_slot));
  auto argv_c = c_strings(argv);
  auto envp_c = c_strings(envp);

  pid_t child = -1;
  int error = ::posix_spawn(&child, image.path.c_str(), &actions, attributes.get(), argv_c.data(), envp_c.data());
  posix_spawn_file_actions_destroy(&actions);
  for (auto [from, to] : moves)
    if (from >= 0) ::close(from);
  if (error != 0) return std::unexpected(errno_text(("cannot execute " + image.path).c_str(), error));
  return child;
}

bool started_as_monitor() { return std::getenv(monitor_variable) != nullptr; }

std::expected<std::pair<launch_spec, monitor_fds>, std::string> take_launch_spec() {
  ::unsetenv(monitor_variable);
  std::string bytes;
  char buffer[64 * 1024];
  ssize_t n;
  while ((n = ::read(spec_slot, buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_text("reading the launch spec", errno));
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(spec_slot);
  launch_spec spec;
  try {
    spec = detail::deserialize_value<launch_spec>(bytes);
  } catch (const std::exception& e) {
    return std::unexpected(std::string("malformed launch spec: ") + e.what());
  }
  // Keep the descriptors closed on exec, so that programs the user starts do not inherit them.
  monitor_fds fds;
  for (auto [slot, field] : {std::pair{report_slot, &monitor_fds::report}, std::pair{control_slot, &monitor_fds::control},
                             std::pair{listener_slot, &monitor_fds::listener}, std::pair{stdin_slot, &monitor_fds::stdin_fd}})
    if (::fcntl(slot, F_SETFD, FD_CLOEXEC) == 0) fds.*field = slot;
  return std::pair{std::move(spec), fds};
}

}  // namespace constellation::process
