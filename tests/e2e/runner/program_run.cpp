#include "runner/program_run.hpp"

#include "process/spawn_attributes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace e2e {

namespace {

using clock = std::chrono::steady_clock;

// After a timeout kill, how long to keep reading what the pipes still hold.
constexpr auto drain_after_kill = std::chrono::seconds(2);

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct pipe_pair {
  int read = -1, write = -1;
  pipe_pair() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    read = fds[0];
    write = fds[1];
  }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const run_request& request, const pipe_pair& in, const pipe_pair& out,
                             const pipe_pair& err, char* const* argv, char* const* envp) {
  ::setpgid(0, 0);
  ::dup2(in.read, 0);
  ::dup2(out.write, 1);
  ::dup2(err.write, 2);
  // The runner ignores SIGPIPE; the command starts with the default, as from a shell.
  ::signal(SIGPIPE, SIG_DFL);
  ::execve(request.program.c_str(), argv, envp);
  static constexpr char message[] = "e2e_runner: cannot execute the program\n";
  (void)!::write(2, message, sizeof message - 1);
  ::_exit(127);
}

}  // namespace

run_result run_locally(const run_request& request) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> argv_strings{request.program.string()};
  argv_strings.insert(argv_strings.end(), request.args.begin(), request.args.end());
  std::vector<std::string> env_strings = request.environment;
  auto argv = constellation::process::c_strings(argv_strings);
  auto envp = constellation::process::c_strings(env_strings);

  pipe_pair in, out, err;
  const auto start = clock::now();
  const pid_t child = ::fork();
  if (child < 0) throw_errno("fork");
  if (child == 0) exec_child(request, in, out, err, argv.data(), envp.data());
  // Also here, so that a kill of the group cannot come before the child made it.
  ::setpgid(child, child);
  close_fd(in.read);
  close_fd(out.write);
  close_fd(err.write);
  ::fcntl(in.write, F_SETFL, O_NONBLOCK);
  if (request.stdin_bytes.empty()) close_fd(in.write);

  run_result result;
  std::string_view unwritten = request.stdin_bytes;
  int readers[2] = {out.read, err.read};
  std::string* sinks[2] = {&result.out, &result.err};
  auto deadline = start + request.timeout;
  std::optional<int> wait_status;

  while (true) {
    if (!wait_status) {
      int status = 0;
      if (::waitpid(child, &status, WNOHANG) == child) wait_status = status;
    }
    if (readers[0] < 0 && readers[1] < 0 && in.write < 0 && wait_status) break;
    const auto now = clock::now();
    if (now >= deadline) {
      if (result.timed_out) break;  // the drain after the kill is over
      result.timed_out = true;
      ::kill(-child, SIGKILL);
      deadline = now + drain_after_kill;
      continue;
    }
    pollfd fds[3];
    nfds_t n = 0;
    int slot[2] = {-1, -1};
    for (int i = 0; i < 2; ++i)
      if (readers[i] >= 0) {
        slot[i] = static_cast<int>(n);
        fds[n++] = {readers[i], POLLIN, 0};
      }
    if (in.write >= 0) fds[n++] = {in.write, POLLOUT, 0};
    // The exit is noticed by waitpid(), not poll(): look again at least every 20 ms until then.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    const int timeout_ms = static_cast<int>(wait_status ? left : std::min<long long>(left, 20));
    if (::poll(fds, n, timeout_ms) < 0 && errno != EINTR) throw_errno("poll");

    for (int i = 0; i < 2; ++i) {
      if (slot[i] < 0 || fds[slot[i]].revents == 0) continue;
      char buffer[64 * 1024];
      const ssize_t got = ::read(readers[i], buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close_fd(readers[i]);
        continue;
      }
      const std::string_view piece(buffer, static_cast<std::size_t>(got));
      sinks[i]->append(piece);
      if (i == 0 && request.terminate_when && !result.terminated && request.terminate_when(piece)) {
        result.terminated = true;
        if (request.stop == stop_kind::ctrl_c)
          ::kill(-child, SIGINT);
        else
          ::kill(child, SIGTERM);
      }
    }
    if (in.write >= 0) {
      const ssize_t put = ::write(in.write, unwritten.data(), unwritten.size());
      if (put > 0) unwritten.remove_prefix(static_cast<std::size_t>(put));
      // EPIPE: the command closed its stdin; what it did not read is its own business.
      if (unwritten.empty() || (put < 0 && errno != EAGAIN && errno != EINTR)) close_fd(in.write);
    }
  }
  for (int& fd : readers) close_fd(fd);
  close_fd(in.write);
  if (!wait_status) {
    ::kill(-child, SIGKILL);
    int status = 0;
    if (::waitpid(child, &status, 0) == child) wait_status = status;
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
  if (wait_status && WIFEXITED(*wait_status)) result.exit_code = WEXITSTATUS(*wait_status);
  if (wait_status && WIFSIGNALED(*wait_status)) result.signal = WTERMSIG(*wait_status);
  return result;
}

}  // namespace e2e
