#include "process/monitor.hpp"

#include "posix/unique_fd.hpp"
#include "process/descendants.hpp"
#include "process/process_limits.hpp"
#include "wire/messages.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

namespace constellation::process {

// In a monitor's child: its moved-out copy of the cgroup handle, reachable so that leak checkers
// do not report it. External linkage, so that the store to it is kept.
extern process_limits* limits_left_to_the_monitor;
process_limits* limits_left_to_the_monitor = nullptr;

namespace {

using clock = std::chrono::steady_clock;

// After the process exits, its pipes normally reach EOF at once. A grandchild that inherited them
// (a shell started with system(), say) can hold them open: wait this long, then report anyway.
constexpr auto drain_grace = std::chrono::seconds(2);
// How long a process asked to terminate gets before SIGKILL.
constexpr auto terminate_grace = std::chrono::seconds(3);

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

class monitor {
 public:
  monitor(const wire::launch_spec& spec, posix::unique_fd report, pid_t child, posix::unique_fd out,
          posix::unique_fd err, std::optional<process_limits> limits)
      : spec_(spec),
        report_(std::move(report)),
        child_(child),
        pipes_{std::move(out), std::move(err)},
        pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, child, 0))),
        limits_(std::move(limits)) {}

  [[noreturn]] void run() {
    send(wire::started_report{child_});
    while (!finished()) {
      pollfd fds[4];
      int n = 0;
      int pipe_slot[2] = {-1, -1};
      // While the agent has not taken the last output, the pipes wait: the process blocks
      // writing to a full pipe, as on a terminal nobody reads, and the monitor holds at most one
      // read's worth. Orders (terminate) are read all the same.
      const bool held = !pending_.empty();
      for (int i = 0; i < 2; ++i)
        if (pipes_[i] && !held) {
          pipe_slot[i] = n;
          fds[n++] = {pipes_[i].get(), POLLIN, 0};
        }
      const int report_slot = report_ ? n : -1;
      if (report_) fds[n++] = {report_.get(), static_cast<short>(POLLIN | (held ? POLLOUT : 0)), 0};
      const int pid_slot = !status_ && pidfd_ ? n : -1;
      if (pid_slot >= 0) fds[n++] = {pidfd_.get(), POLLIN, 0};

      int ready = ::poll(fds, static_cast<nfds_t>(n), poll_timeout_ms());
      if (ready < 0 && errno != EINTR) break;
      for (int i = 0; i < 2; ++i)
        if (pipe_slot[i] >= 0 && fds[pipe_slot[i]].revents) forward_output(i);
      if (report_slot >= 0 && (fds[report_slot].revents & POLLOUT)) flush();
      if (report_slot >= 0 && (fds[report_slot].revents & (POLLIN | POLLHUP | POLLERR)))
        read_orders();
      if (pid_slot >= 0 && fds[pid_slot].revents) reap();
      if (!pidfd_ && !status_) reap();  // no pidfd: poll with a timeout instead
      on_timers();
    }
    finish();
  }

 private:
  bool finished() const {
    if (!status_) return false;
    if (!pending_.empty() && report_) return false;  // the agent has not taken it all yet
    return (!pipes_[0] && !pipes_[1]) || clock::now() >= drain_deadline_;
  }

  int poll_timeout_ms() const {
    auto next = clock::time_point::max();
    if (auto interval = watch_interval(); interval && !status_)
      next = std::min(next, last_check_ + *interval);
    if (kill_deadline_ && !status_) next = std::min(next, *kill_deadline_);
    if (status_ && pending_.empty()) next = std::min(next, drain_deadline_);
    if (!pidfd_ && !status_) next = std::min(next, clock::now() + std::chrono::milliseconds(20));
    if (next == clock::time_point::max()) return -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now()).count();
    return static_cast<int>(std::clamp<long long>(ms + 1, 0, 60'000));
  }

  void forward_output(int index) {
    char buffer[64 * 1024];
    ssize_t n = ::read(pipes_[index].get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    const auto fd = static_cast<std::uint8_t>(index + 1);
    if (n <= 0) {
      pipes_[index].reset();
      send(wire::eof_report{fd});
      return;
    }
    send(wire::output_report{fd, std::string(buffer, static_cast<std::size_t>(n))});
  }

  void read_orders() {
    if (!report_) return;
    char buffer[4096];
    ssize_t n = ::read(report_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) {
      // The node agent is gone: nobody can see this process any more, so it must not live on.
      agent_lost();
      return;
    }
    orders_.append(buffer, static_cast<std::size_t>(n));
    while (true) {
      auto decoded = wire::decode_frame(orders_);
      if (!decoded) {
        agent_lost();
        return;
      }
      if (!*decoded) break;
      const auto frame = **decoded;
      if (frame.type == static_cast<std::uint8_t>(wire::message_type::terminate)) {
        auto order = wire::decode_message<wire::terminate_order>(frame.payload);
        terminate(order && order->immediately,
                  order && order->signal > 0 && order->signal < 65 ? order->signal : SIGTERM);
      }
      orders_.erase(0, frame.size);
    }
  }

  void agent_lost() {
    report_.reset();
    signal_tree(SIGKILL);
  }

  // The process and every helper it started (this monitor is their subreaper).
  void signal_tree(int signal) {
    if (!status_) ::kill(child_, signal);
    signal_descendants(::getpid(), signal);
  }

  void terminate(bool immediately, int signal) {
    if (status_) return;
    if (immediately) {
      signal_tree(SIGKILL);
      return;
    }
    signal_tree(signal);
    kill_deadline_ = clock::now() + terminate_grace;
  }

  void reap() {
    int status = 0;
    pid_t r = ::waitpid(child_, &status, WNOHANG);
    if (r != child_) return;
    status_ = status;
    drain_deadline_ = clock::now() + drain_grace;
    pidfd_.reset();
  }

  void on_timers() {
    const auto now = clock::now();
    if (status_) return;
    if (kill_deadline_ && now >= *kill_deadline_) {
      signal_tree(SIGKILL);
      kill_deadline_.reset();
    }
    if (auto interval = watch_interval(); interval && now >= last_check_ + *interval) {
      last_check_ = now;
      if (limits_->over_limit(child_)) {
        killed_for_memory_ = true;
        ::kill(child_, SIGKILL);
      }
    }
  }

  void end_helpers() {
    for (int round = 0; round < 50 && signal_descendants(::getpid(), SIGKILL) > 0; ++round) {
      int status;
      while (::waitpid(-1, &status, WNOHANG) > 0) {
      }
      ::usleep(2000);
    }
  }

  std::optional<std::chrono::milliseconds> watch_interval() const {
    return limits_ ? limits_->poll_interval() : std::nullopt;
  }

  [[noreturn]] void finish() {
    // No process outlives its job: helpers the process left behind end with it.
    end_helpers();
    for (int i = 0; i < 2; ++i)
      if (pipes_[i]) send(wire::eof_report{static_cast<std::uint8_t>(i + 1)});
    wire::exit_report exit;
    exit.status = report::exit_status::from_wait_status(status_.value_or(0));
    if (killed_for_memory_ || (status_ && limits_ && limits_->memory_limit_hit(*status_)))
      exit.reason = "memory limit of " + format_bytes(spec_.needs.mem) + " exceeded";
    limits_.reset();  // removes the process's cgroups: _exit() runs no destructors
    send(exit);
    // The output before the exit report waits for the agent as long as the agent holds it.
    while (!pending_.empty() && report_) {
      pollfd room{report_.get(), POLLOUT, 0};
      if (::poll(&room, 1, -1) < 0 && errno != EINTR) break;
      flush();
    }
    ::_exit(0);
  }

  // Reports go out without blocking: a monitor whose agent does not read (it holds the job's
  // output for a client that does not read) still takes its orders and watches its process.
  template <class Message>
  void send(const Message& m) {
    if (!report_) return;
    pending_ += wire::encode_message(m);
    flush();
  }

  void flush() {
    std::size_t written = 0;
    while (written < pending_.size() && report_) {
      const ssize_t n = ::send(report_.get(), pending_.data() + written, pending_.size() - written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) return agent_lost();
      written += static_cast<std::size_t>(n);
    }
    pending_.erase(0, written);
    // Output held up after the process ended is not a grandchild holding the pipes: the drain
    // grace starts again once it moves.
    if (written > 0 && status_)
      drain_deadline_ = std::max(drain_deadline_, clock::now() + drain_grace);
  }

  const wire::launch_spec& spec_;
  posix::unique_fd report_;
  pid_t child_;
  posix::unique_fd pipes_[2];             // the process's stdout and stderr, until their end
  posix::unique_fd pidfd_;                // none where pidfd_open is missing: reap() polls then
  std::optional<process_limits> limits_;  // none unless limits are enforced
  std::string orders_;
  // Reports not yet written to the agent: at most a read of output per pipe and a few small ones.
  std::string pending_;
  std::optional<int> status_;
  clock::time_point drain_deadline_{};
  std::optional<clock::time_point> kill_deadline_;
  clock::time_point last_check_ = clock::now();
  bool killed_for_memory_ = false;
};

[[noreturn]] void fail_launch(int report, const std::string& message) {
  write_all(report, wire::encode_message(wire::launch_failed_report{message}));
  ::_exit(1);
}

}  // namespace

std::string limits_name(const wire::launch_spec& spec, pid_t monitor) {
  return spec.self.to_string() + "-" + std::to_string(monitor);
}

monitor_fds become_monitor(const wire::launch_spec& spec, monitor_fds fds) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    fail_launch(fds.report, std::string("cannot create output pipes: ") + std::strerror(errno));
  posix::unique_fd out_read(out[0]), out_write(out[1]), err_read(err[0]), err_write(err[1]);

  std::optional<process_limits> limits;
  if (spec.enforce_limits)
    limits.emplace(process_limits::create(limits_name(spec, ::getpid()),
                                          {spec.needs.mem, spec.needs.cpu, spec.deployed}));

  // Helpers the process starts and abandons become the monitor's children, so that it can end them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const pid_t monitor_pid = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) fail_launch(fds.report, std::string("cannot fork: ") + std::strerror(errno));
  if (child == 0) {
    // The process dies with its monitor, so that no process outlives what watches it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != monitor_pid) ::_exit(137);
    // On a node, the process leads a group of its own, which the helpers it starts inherit: should
    // the monitor be killed, its agent ends the group. A local run stays in the terminal's group,
    // where Ctrl-C reaches every process.
    if (spec.deployed) ::setpgid(0, 0);
    ::dup2(out_write.get(), 1);
    ::dup2(err_write.get(), 2);
    int in = fds.stdin_fd >= 0 ? fds.stdin_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in != 0) {
      ::dup2(in, 0);
      ::close(in);
    }
    for (auto* end : {&out_read, &out_write, &err_read, &err_write}) end->reset();
    ::close(fds.report);  // the monitor's
    if (limits && !limits->enter()) {
      static constexpr char message[] =
          "constellation: cannot enter the process's resource limits\n";
      (void)!::write(2, message, sizeof message - 1);
      ::_exit(125);
    }
    // The cgroups belong to the monitor, which removes them after the process ended: this copy
    // must not try to (it would wait for its own group to empty). Moved out and never destroyed.
    if (limits) limits_left_to_the_monitor = new process_limits(std::move(*limits));
    return {-1, fds.control, fds.listener, 0};
  }

  out_write.reset();
  err_write.reset();
  // Handed to the process, which has its copies now.
  if (fds.control >= 0) ::close(fds.control);
  if (fds.listener >= 0) ::close(fds.listener);
  if (fds.stdin_fd > 0) ::close(fds.stdin_fd);
  // Ctrl-C reaches the whole process group: the process decides what it means, and the monitor
  // stays to report the outcome.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  monitor m(spec, posix::unique_fd(fds.report), child, std::move(out_read), std::move(err_read),
            std::move(limits));
  m.run();
}

}  // namespace constellation::process
