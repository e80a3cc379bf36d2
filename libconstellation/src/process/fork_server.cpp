#include "process/fork_server.hpp"

#include "process/descriptor_passing.hpp"
#include "process/launcher.hpp"
#include "wire/fork_messages.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace constellation::process {

namespace {

constexpr int socket_slot = slot::spec;

// The dispositions the server changes for itself, and what they were (the default, or what a
// static initialiser of the program set), given back to each child as an executed monitor has them.
constexpr std::array server_signals{SIGCHLD, SIGINT, SIGHUP};
std::array<struct sigaction, server_signals.size()> program_dispositions;

void refuse(std::uint64_t request_id, std::string message) {
  if (message.size() > wire::max_fork_record / 2) message.resize(wire::max_fork_record / 2);
  (void)send_record(socket_slot,
                    wire::encode_message(wire::fork_refused{request_id, std::move(message)}), {});
}

// Where each attached descriptor goes in the child: the slots launch_monitor would have used.
constexpr std::array<int, wire::fork_slot_count> slot_of{slot::spec, slot::report, slot::control,
                                                         slot::listener, slot::stdin_fd};

// In the forked child: acknowledges the request first of all, then gives back the program's
// signal dispositions and puts the descriptors in their slots (the spec over the server's socket,
// which the child must not keep). Returns false when the agent is gone.
bool become_forked_monitor(std::uint64_t request_id, std::uint8_t attached,
                           std::vector<posix::unique_fd>& fds) {
  if (send_record(
          socket_slot,
          wire::encode_message(wire::forked{request_id, static_cast<std::int32_t>(::getpid())}),
          {}) != 0)
    return false;
  for (std::size_t i = 0; i < server_signals.size(); ++i)
    ::sigaction(server_signals[i], &program_dispositions[i], nullptr);
  std::size_t next = 0;
  for (int s = 0; s < wire::fork_slot_count; ++s) {
    const int to = slot_of[static_cast<std::size_t>(s)];
    if (attached & (1u << s)) {
      auto& from = fds[next++];
      if (from.get() == to) {
        from.release();
      } else if (::dup2(from.get(), to) < 0) {
        return false;
      }
    } else {
      ::close(to);  // a placeholder: an executed monitor would have nothing there
    }
  }
  fds.clear();
  return true;
}

}  // namespace

bool started_as_fork_server() {
  return std::getenv(fork_server_variable) != nullptr;
}

void serve_forks() {
  ::unsetenv(fork_server_variable);
  if (std::getenv(fork_server_bind_now_variable)) {
    ::unsetenv(fork_server_bind_now_variable);
    ::unsetenv("LD_BIND_NOW");
  }
  // Monitors the server forks are reaped by the kernel; Ctrl-C on the terminal is for the job's
  // processes, and the server ends with its agent's socket.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (std::size_t i = 0; i < server_signals.size(); ++i)
    ::sigaction(server_signals[i], &ignore, &program_dispositions[i]);
  // The server dies with its agent even if the socket were somehow held open elsewhere.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  while (true) {
    auto received = receive_record(socket_slot, wire::max_fork_record);
    if (!received || !*received) ::_exit(0);  // the agent closed its end or is gone
    auto& record = **received;
    auto frame = wire::decode_frame(record.bytes);
    if (!frame || !*frame ||
        (*frame)->type != static_cast<std::uint8_t>(wire::fork_message::request))
      ::_exit(1);
    auto request = wire::decode_message<wire::fork_request>((*frame)->payload);
    if (!request) ::_exit(1);
    const unsigned expected = static_cast<unsigned>(__builtin_popcount(request->attached));
    if (record.truncated || !(request->attached & wire::fork_slot_bit(wire::fork_slot::spec)) ||
        record.fds.size() != expected) {
      refuse(request->request_id, "malformed fork request");
      continue;
    }
    const pid_t child = ::fork();
    if (child < 0) {
      refuse(request->request_id, std::string("fork: ") + std::strerror(errno));
      continue;
    }
    if (child == 0) {
      if (!become_forked_monitor(request->request_id, request->attached, record.fds)) ::_exit(1);
      return;
    }
    (void)send_record(socket_slot, wire::encode_message(wire::forked{request->request_id, child}),
                      {});
    // record.fds close here: they are the child's now.
  }
}

}  // namespace constellation::process
