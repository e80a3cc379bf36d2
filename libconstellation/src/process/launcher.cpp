#include "process/launcher.hpp"
#include "process/fork_server.hpp"
#include "process/spawn_attributes.hpp"

#include <constellation/detail/serialization.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

namespace constellation::process {

namespace {

std::string errno_text(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Executes image with the variable set to the spec slot and the descriptors of slots (in the
// caller's numbering, -1 for none) in their slots; /dev/null on 0, 1 and 2 and on each slot of
// placeholders; nothing else open.
std::expected<pid_t, std::string> execute_with_slots(const program_image& image,
                                                     const char* variable,
                                                     std::span<const std::pair<int, int>> slots,
                                                     std::span<const int> placeholders,
                                                     std::vector<std::string> extra_env = {}) {
  // Move every handed descriptor above the slots first, so that mapping one into its slot cannot
  // overwrite another that still waits to be mapped.
  std::vector<std::pair<posix::unique_fd, int>> moves;
  for (auto [from, to] : slots) {
    if (from < 0) continue;
    posix::unique_fd moved(::fcntl(from, F_DUPFD_CLOEXEC, 64));
    if (!moved) return std::unexpected(errno_text("fcntl", errno));
    moves.emplace_back(std::move(moved), to);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd)
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  for (int fd : placeholders)
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDONLY, 0);
  // A slot given no descriptor holds nothing in the child. Left alone it would hold whatever the
  // caller has open at that number without O_CLOEXEC (a daemon's socket, say), and the monitor
  // would take it for the process's stdin or its agent's connection.
  for (auto [from, to] : slots)
    if (from < 0) posix_spawn_file_actions_addclose(&actions, to);
  for (auto& [from, to] : moves) posix_spawn_file_actions_adddup2(&actions, from.get(), to);
  // Descriptors other threads of a daemon open meanwhile, without O_CLOEXEC, must not leak in.
  posix_spawn_file_actions_addclosefrom_np(&actions, slot::first_free);

  // A monitor starts with default signal handling, whatever its parent ignores or blocks.
  const clean_spawn_attributes attributes;

  std::vector<std::string> argv = image.argv;
  std::vector<std::string> envp = image.envp;
  envp.push_back(std::string(variable) + "=" + std::to_string(slot::spec));
  for (auto& e : extra_env) envp.push_back(std::move(e));
  auto argv_c = c_strings(argv);
  auto envp_c = c_strings(envp);

  pid_t child = -1;
  int error = ::posix_spawn(&child, image.path.c_str(), &actions, attributes.get(), argv_c.data(),
                            envp_c.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0)
    return std::unexpected(errno_text(("cannot execute " + image.path).c_str(), error));
  return child;
}

}  // namespace

std::expected<posix::unique_fd, std::string> write_spec_file(const wire::launch_spec& spec) {
  posix::unique_fd fd(::memfd_create("constellation-spec", MFD_CLOEXEC));
  if (!fd) return std::unexpected(errno_text("memfd_create", errno));
  const std::string bytes = detail::serialize_value(spec);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_text("writing the launch spec", errno));
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

std::expected<pid_t, std::string> launch_monitor(const program_image& image,
                                                 const wire::launch_spec& spec,
                                                 const monitor_fds& fds) {
  auto spec_fd = write_spec_file(spec);
  if (!spec_fd) return std::unexpected(spec_fd.error());
  const std::pair<int, int> slots[] = {{spec_fd->get(), slot::spec},
                                       {fds.report, slot::report},
                                       {fds.control, slot::control},
                                       {fds.listener, slot::listener},
                                       {fds.stdin_fd, slot::stdin_fd}};
  return execute_with_slots(image, monitor_variable, slots, {});
}

std::expected<pid_t, std::string> launch_fork_server(const program_image& image, int socket) {
  const std::pair<int, int> slots[] = {{socket, slot::spec}};
  const int placeholders[] = {slot::report, slot::control, slot::listener, slot::stdin_fd};
  // The dynamic linker binds every symbol at the server's start, once, rather than at each first
  // call in every forked process, where each binding writes to a page shared with the server (a
  // copy-on-write fault) and reads symbol tables (page faults again). The server removes the
  // variable again unless the program's own environment set it.
  std::vector<std::string> extra_env;
  const bool bind_now_given = std::ranges::any_of(
      image.envp, [](const std::string& e) { return e.starts_with("LD_BIND_NOW="); });
  if (!bind_now_given)
    extra_env = {"LD_BIND_NOW=1", std::string(fork_server_bind_now_variable) + "=1"};
  return execute_with_slots(image, fork_server_variable, slots, placeholders, std::move(extra_env));
}

bool started_as_monitor() {
  return std::getenv(monitor_variable) != nullptr;
}

std::expected<std::pair<wire::launch_spec, monitor_fds>, std::string> take_launch_spec() {
  ::unsetenv(monitor_variable);
  posix::unique_fd spec_file(slot::spec);
  std::string bytes;
  char buffer[64 * 1024];
  ssize_t n;
  while ((n = ::read(spec_file.get(), buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_text("reading the launch spec", errno));
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  spec_file.reset();
  wire::launch_spec spec;
  try {
    spec = detail::deserialize_value<wire::launch_spec>(bytes);
  } catch (const std::exception& e) {
    return std::unexpected(std::string("malformed launch spec: ") + e.what());
  }
  // Keep the descriptors closed on exec, so that programs the user starts do not inherit them.
  monitor_fds fds;
  for (auto [at, field] : {std::pair{slot::report, &monitor_fds::report},
                           std::pair{slot::control, &monitor_fds::control},
                           std::pair{slot::listener, &monitor_fds::listener},
                           std::pair{slot::stdin_fd, &monitor_fds::stdin_fd}})
    if (::fcntl(at, F_SETFD, FD_CLOEXEC) == 0) fds.*field = at;
  return std::pair{std::move(spec), fds};
}

}  // namespace constellation::process
