// A process accepts its peer's link while its own link to that peer is still being set up, and
// finds the peer gone when it answers: the peer proved the job's secret and then ended (SIGKILL, as
// a soak run found) before the verdict could be written. Its own link then decides how the channel
// ends; a send on it must not wait for ever.
//
// Made deterministic here: the peer is a stopped process, so the sender's own link to it stays in
// its handshake until the link setup bound. The top process plays the peer's end of the link the
// other way, under the stopped process's name, and stops the sender while it sends its last
// handshake message and closes, so that the sender reads both at once.
#include "scenario.hpp"

#include "channel/local_socket.hpp"
#include "runtime/process_state.hpp"
#include "wire/handshake.hpp"

#include <constellation/constellation.hpp>
#include <constellation/detail/serialization.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

using namespace constellation::literals;
using namespace std::chrono_literals;

namespace {

// Tells the parent its system pid, then stops itself.
void stopper(constellation::pid parent) {
  constellation::sender<long>(parent).send(static_cast<long>(::getpid()));
  ::raise(SIGSTOP);
}

// Opens a link to the stopped process, tells the parent its system pid, then sends.
void prober(constellation::pid parent, constellation::pid stopped) {
  constellation::sender<int> to_stopped(stopped);
  constellation::sender<long> to_parent(parent);
  to_parent.send(static_cast<long>(::getpid()));
  try {
    to_stopped.send(1);
    std::cout << "send returned" << std::endl;
  } catch (const constellation::channel_error& e) {
    std::cout << "send threw " << constellation::to_string(e.reason()) << std::endl;
  }
  to_parent.send(0);
}

void stop_and_wait(long system_pid) {
  ::kill(static_cast<pid_t>(system_pid), SIGSTOP);
  e2e::wait_until_stopped(system_pid);
}

// Up to 5 s for the next bytes; "" when the connection ended or nothing came.
std::string read_some(int fd) {
  pollfd readable{fd, POLLIN, 0};
  if (::poll(&readable, 1, 5000) <= 0) return "";
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

// Connects to prober's local channel socket as the stopped process and proves the job's secret;
// the last handshake message and the end of the connection reach prober while it is stopped.
// A problem, or "".
std::string link_back_and_vanish(constellation::pid prober, long prober_system_pid,
                                 constellation::pid stopped) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t length = 0;
  const auto address = constellation::channel::local_address(prober, length);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    ::close(fd);
    return "cannot connect to the prober's local socket";
  }
  constellation::wire::handshake_client client(
      constellation::runtime::current_process()->job_secret, "channel",
      constellation::detail::serialize_value(stopped));
  const std::string hello = client.start();
  (void)!::write(fd, hello.data(), hello.size());
  std::string proof;
  while (!client.done()) {
    const std::string reply = read_some(fd);
    auto step = reply.empty() ? std::nullopt : std::optional(client.feed(reply));
    if (!step || !*step) {
      ::close(fd);
      return "the prober did not answer the handshake";
    }
    proof += (*step)->to_send;
  }
  stop_and_wait(prober_system_pid);
  (void)!::write(fd, proof.data(), proof.size());
  ::close(fd);
  ::kill(static_cast<pid_t>(prober_system_pid), SIGCONT);
  return "";
}

}  // namespace

CONSTELLATION_SCENARIO(channel_peer_gone_before_verdict) {
  const auto stopped = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, stopper);
  // Kept open while it is stopped, so that the link stays up rather than being closed as idle.
  constellation::receiver<long> from_stopped(stopped);
  const long stopped_system_pid = from_stopped.recv();
  e2e::wait_until_stopped(stopped_system_pid);
  // Spawned later, so its pid is the greater: it takes the link that comes to it from the stopped
  // process's name in place of its own.
  const auto probe = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, prober, stopped);
  constellation::receiver<long> from_probe(probe);
  const long probe_system_pid = from_probe.recv();
  if (const auto problem = link_back_and_vanish(probe, probe_system_pid, stopped); !problem.empty())
    std::cout << problem << std::endl;
  int code = 0;
  if (!from_probe.recv_for(20s)) {
    std::cout << "the prober's send still waits after 20 s" << std::endl;
    ::kill(static_cast<pid_t>(probe_system_pid), SIGKILL);
    code = 1;
  }
  ::kill(static_cast<pid_t>(stopped_system_pid), SIGCONT);
  while (constellation::status(stopped) == constellation::process_status::running)
    std::this_thread::sleep_for(10ms);
  return code;
}
