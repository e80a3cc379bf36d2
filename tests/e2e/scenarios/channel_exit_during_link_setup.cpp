// A process that calls exit() while a link it opened is still being set up ends in order for that
// peer too: the peer may have accepted the link already (its verdict on the way), and then holds it
// as up, so an end without a goodbye looks to it like a death. Exit waits for the verdict and says
// goodbye on the link.
//
// Made deterministic here: the top process plays the peer. It listens under a made-up pid of the
// job on the exiting process's host, answers the handshake, has the process call exit(), and
// holds its verdict back for a second, long enough for an exit that does not wait to close the
// link first.
#include "scenario.hpp"

#include "channel/channel_frames.hpp"
#include "channel/local_socket.hpp"
#include "runtime/pid_access.hpp"
#include "runtime/process_state.hpp"
#include "wire/frame.hpp"
#include "wire/handshake.hpp"

#include <constellation/constellation.hpp>
#include <constellation/detail/serialization.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

using namespace constellation::literals;
using namespace std::chrono_literals;
using constellation::channel::frame_kind;

namespace {

// Opens a link to the pid its parent names, and exits when the parent says so.
void exiter(constellation::pid parent) {
  const auto target = constellation::receiver<constellation::pid>(parent).recv();
  constellation::sender<int> to_target(target);
  constellation::receiver<int>(parent).recv();
  std::exit(0);
}

// Up to timeout for the next bytes: false when the connection ended or nothing came.
bool read_more(int fd, std::string& into, int timeout_ms) {
  pollfd readable{fd, POLLIN, 0};
  if (::poll(&readable, 1, timeout_ms) <= 0) return false;
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) return false;
  into.append(buffer, static_cast<std::size_t>(n));
  return true;
}

bool write_all(int fd, const std::string& bytes) {
  return ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
}

// Plays the peer named target for the exiting process: what it saw of the link's end.
std::string play_peer(int listener, const constellation::pid& target,
                      const constellation::pid& exiting) {
  pollfd incoming{listener, POLLIN, 0};
  if (::poll(&incoming, 1, 10000) <= 0) return "no link came to the made-up peer in 10 s";
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  constellation::wire::handshake_server server(
      constellation::runtime::current_process()->job_secret, "channel",
      constellation::detail::serialize_value(target));
  std::string input;
  while (!server.done()) {
    if (!read_more(fd, input, 5000)) return "the handshake did not finish";
    auto step = server.feed(input);
    if (!step)
      return std::string("the handshake failed: ") + constellation::wire::to_string(step.error());
    input.erase(0, step->consumed);
    if (!step->to_send.empty() && !write_all(fd, step->to_send))
      return "the handshake could not be answered";
  }
  // Its handshake is done: from here on a peer may hold the link as up.
  constellation::sender<int>(exiting).send(1);
  // Nothing is due from it before the verdict: what shows within the second is its end.
  pollfd early{fd, POLLIN, 0};
  if (!input.empty() || ::poll(&early, 1, 1000) > 0) {
    ::close(fd);
    return "the link ended before its verdict, without a goodbye";
  }
  if (!write_all(fd, constellation::channel::signal_frame(frame_kind::link_accepted)))
    return "the verdict could not be sent";
  while (true) {
    auto frame = constellation::wire::decode_frame(input);
    if (!frame) return "a malformed frame came";
    if (!*frame) {
      if (!read_more(fd, input, 10000)) return "the link ended without a goodbye";
      continue;
    }
    const auto type = static_cast<frame_kind>((*frame)->type);
    input.erase(0, (*frame)->size);
    if (type != frame_kind::goodbye) continue;
    write_all(fd, constellation::channel::counted_frame(frame_kind::goodbye_ack, 0));
    break;
  }
  const bool ended = !read_more(fd, input, 10000);
  ::close(fd);
  return ended ? "goodbye after the verdict, then the link ended"
               : "goodbye after the verdict, but the link stayed";
}

}  // namespace

CONSTELLATION_SCENARIO(channel_exit_during_link_setup) {
  const auto exiting = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, exiter);
  // A pid of this job that no process has, on the exiting process's host: its link there goes
  // through the host's local socket of that name, which this process holds.
  namespace detail = constellation::detail;
  const auto target = detail::pid_access::make(detail::pid_access::job(exiting), 0xfffffff0u,
                                               detail::pid_access::ipv4(exiting), 1);
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t length = 0;
  const auto address = constellation::channel::local_address(target, length);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 4) != 0) {
    std::cout << "cannot listen as the made-up peer" << std::endl;
    return 1;
  }
  constellation::sender<constellation::pid>(exiting).send(target);
  std::cout << play_peer(listener, target, exiting) << std::endl;
  ::close(listener);
  while (constellation::status(exiting) == constellation::process_status::running)
    std::this_thread::sleep_for(10ms);
  return 0;
}
