#pragma once
// Runs a command to its end with the given stdin, capturing stdout and stderr, for tests of what
// users see. A command still running after the time limit is killed (and the test fails on it).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace cluster_cli_test {

struct command_result {
  int exit_code = -1;  // the shell's: 128 + signal when killed
  std::string out;
  std::string err;
  bool timed_out = false;
};

class running_command {
 public:
  running_command(std::vector<std::string> argv, std::vector<std::string> extra_env = {}) {
    int in[2], out[2], err[2];
    (void)!::pipe2(in, O_CLOEXEC);
    (void)!::pipe2(out, O_CLOEXEC);
    (void)!::pipe2(err, O_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // Asio's sockets are not close-on-exec: a child must not hold the test's bridge's connections.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> argv_c, env_c;
    for (auto& a : argv) argv_c.push_back(a.data());
    argv_c.push_back(nullptr);
    for (auto& e : env) env_c.push_back(e.data());
    env_c.push_back(nullptr);
    ::posix_spawn(&pid_, argv_c[0], &actions, nullptr, argv_c.data(), env_c.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }
  ~running_command() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
    for (int fd : {in_, out_, err_})
      if (fd >= 0) ::close(fd);
  }

  // All of bytes, as a shell's redirection would: a write into a pipe that a signal interrupts
  // (a child of the test ending) returns what it wrote so far, so it is repeated for the rest.
  // Stops early only when the command stopped reading (EPIPE).
  void write_stdin(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(in_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void close_stdin() {
    ::close(in_);
    in_ = -1;
  }
  void signal(int s) { ::kill(pid_, s); }

  // Reads its output until it ends (or the limit), then reaps it.
  command_result finish(std::chrono::seconds limit = std::chrono::seconds(30)) {
    command_result result;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (out_ >= 0 || err_ >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        ::kill(pid_, SIGKILL);
        break;
      }
      pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
      ::poll(fds, 2, static_cast<int>(left.count()));
      for (int i = 0; i < 2; ++i) {
        int& fd = i == 0 ? out_ : err_;
        if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buffer[4096];
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
          ::close(fd);
          fd = -1;
        } else {
          (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
        }
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
};

// Waits up to limit for condition, checking every 10 ms.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    ::usleep(10'000);
  }
  return condition();
}

}  // namespace cluster_cli_test
