#include "supervision/bridge_supervisor.hpp"

#include "cluster/bridge_exit.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace constellation::fabric {
namespace {

// The bridge dies with its master: a fork with PR_SET_PDEATHSIG rather than posix_spawn.
pid_t fork_bridge(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::close_range(3, ~0u, 0);  // the master's sockets are not the bridge's
    ::execv(program.c_str(), c_argv.data());
    ::_exit(127);
  }
  return child;
}

std::string describe_end(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(wait_status));
    return std::string("was killed by ") +
           (name ? std::string("SIG") + name : "signal " + std::to_string(WTERMSIG(wait_status)));
  }
  return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
}

std::string seconds_text(std::chrono::milliseconds d) {
  const auto tenths = d.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

}  // namespace

bridge_supervisor::bridge_supervisor(boost::asio::any_io_executor executor,
                                     const cluster::daemon_log& log, std::string program,
                                     std::vector<std::string> args, std::string bind,
                                     restart_policy policy)
    : restart_timer_(std::move(executor)),
      log_(log),
      program_(std::move(program)),
      args_(std::move(args)),
      bind_(std::move(bind)),
      policy_(policy) {}

bridge_supervisor::~bridge_supervisor() {
  stop();
}

void bridge_supervisor::start() {
  launch("started");
}

void bridge_supervisor::launch(const char* verb) {
  started_at_ = std::chrono::steady_clock::now();
  pid_ = fork_bridge(program_, args_);
  if (pid_ > 0) {
    log_.info(std::string(verb) + " the bridge at " + bind_);
    return;
  }
  restart_later("cannot start the bridge at " + bind_ + ": fork: " + std::strerror(errno),
                std::chrono::milliseconds(0));
}

bool bridge_supervisor::on_child_exit(pid_t pid, int wait_status) {
  if (pid <= 0 || pid != pid_) return false;
  pid_ = -1;
  if (stopped_) return true;
  const auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_at_);
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == cluster::bridge_cannot_listen_status) {
    restart_later("the bridge cannot listen on " + bind_ +
                      ": no deploy client can reach this cluster until it can (the address is "
                      "taken, or is not "
                      "one of this machine's: free it, or change bridge_bind in the cluster file)",
                  ran);
  } else {
    restart_later("the bridge at " + bind_ + " " + describe_end(wait_status) + " after " +
                      seconds_text(ran) + "; its deploy clients lost their connections",
                  ran);
  }
  return true;
}

void bridge_supervisor::restart_later(const std::string& problem, std::chrono::milliseconds ran) {
  delay_ = policy_.next_delay(delay_, ran);
  log_.warn(problem + "; restarting it in " + seconds_text(delay_));
  restart_timer_.expires_after(delay_);
  restart_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) launch("restarted");
  });
}

void bridge_supervisor::stop() {
  if (stopped_) return;
  stopped_ = true;
  restart_timer_.cancel();
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

}  // namespace constellation::fabric
