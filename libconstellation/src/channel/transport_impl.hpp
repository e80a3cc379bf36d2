#pragma once
// The inside of the channel transport, shared by the files that implement it.

#include "channel/link.hpp"
#include "channel/spin_policy.hpp"
#include "channel/transport.hpp"

#include <constellation/detail/serialization.hpp>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>

namespace constellation::channel {

using clock = std::chrono::steady_clock;

inline constexpr const char* handshake_purpose = "channel";
// A message this large is read straight into its own buffer rather than through the read buffer.
inline constexpr std::size_t direct_read_threshold = 256 * 1024;
// Sends closer together than this are left for the transport thread to write in one batch.
inline constexpr auto batching_interval = std::chrono::microseconds(20);
// How long the transport thread leaves a link to the user thread reading it before it looks at
// the link again.
inline constexpr auto rewatch_delay = std::chrono::milliseconds(1);
// How long a receiver whose link is up reads it in a busy loop before it sleeps in poll(): a
// message that comes within this time is taken without waking a sleeping thread, which costs tens
// of microseconds on a virtual machine. Adapted to how often it pays (spin_policy.hpp).
inline std::chrono::microseconds spin_bound() {
  return spin_policy::bound();
}
// Bytes of each direction's ring on a link between processes of one host. Large enough that a
// stream of megabyte messages keeps both sides copying at once; small enough that a process with
// links to many peers stays within a modest memory limit (the rings are charged to it).
inline constexpr std::size_t ring_capacity = 1024 * 1024;
// A local link refused right after its peer was spawned: the peer has not opened its local
// socket yet. Try again this often, for this long, then take its TCP port instead (a peer that
// keeps its links on TCP never opens the local socket).
inline constexpr auto local_retry_interval = std::chrono::milliseconds(2);
inline constexpr auto local_retry_bound = std::chrono::milliseconds(500);
// How long exit waits for peers to confirm they received everything.
inline constexpr auto exit_delivery_bound = std::chrono::seconds(30);
// A link unused this long is closed, so that descriptors stay bounded.
inline constexpr auto idle_link_age = std::chrono::seconds(2);
// A new link that is not up this long after it was opened or accepted (connection, handshake and
// verdict) is given up: the host is unreachable, the other end is no channel peer, or the peer
// lives but does not answer (stopped, or hung). A sender then asks the node agent whether the
// remote still lives; if it does, the peer is unresponsive and the channel's operations fail
// rather than wait for ever. Long enough for a loaded host to answer a handshake.
// CONSTELLATION_LINK_SETUP_BOUND_MS replaces it, so that tests of an unresponsive peer finish in
// seconds; users have no reason to set it.
std::chrono::milliseconds link_setup_bound();
// How a bound reads in an error message: "5 s", or "300 ms" when not whole seconds.
std::string describe_bound(std::chrono::milliseconds bound);

// Bytes read at a time from a connection whose handshake is not done: its three messages are a
// few hundred bytes (a partial one is kept by the handshake itself), so a connection that has not
// proved the job's secret costs a page rather than the 64 KiB read buffer of a link that is up.
inline constexpr std::size_t handshake_read_room = 1024;
// Connections kept per listener that have not proved the job's secret. Beyond it the oldest is
// closed to make room: a peer of the job proves the secret within a round trip, so it is never the
// oldest for long, while connections that stay silent (a port scan, a flood) are evicted first.
inline constexpr std::size_t max_unproven_connections = 64;

inline std::string identity_of(const pid& p) {
  return detail::serialize_value(p);
}

// CONSTELLATION_TRACE_CHANNELS=1: one stderr line per link event, for debugging a topology.
inline bool tracing() {
  static const bool on = [] {
    const char* v = std::getenv("CONSTELLATION_TRACE_CHANNELS");
    return v && *v == '1';
  }();
  return on;
}
#define CHANNEL_TRACE(...)                                          \
  do {                                                              \
    if (tracing()) {                                                \
      std::fprintf(stderr, "constellation channels: " __VA_ARGS__); \
      std::fputc('\n', stderr);                                     \
    }                                                               \
  } while (0)

inline std::optional<pid> pid_from_identity(const std::string& identity) {
  try {
    return detail::deserialize_value<pid>(identity);
  } catch (...) {
    return std::nullopt;
  }
}

// Nothing holds the link: no channel end, nothing waiting in either direction. Credit not yet
// returned does not count: a new link starts with a full window on both sides. Messages still on
// the way to the peer count there: they precede the idle query, so the peer answers busy.
inline bool link_idle(const peer_state& peer) {
  return !peer.sender_open && !peer.receiver_open && peer.inbox.empty() && peer.outgoing.empty() &&
         !peer.writing && peer.pending_sends.empty() && peer.pending_recvs.empty() &&
         peer.selectors.empty();
}

struct transport::impl {
  transport& self_;
  runtime::process_state& process_;
  asio::io_context io_;
  using acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
  acceptor acceptor_;        // TCP: peers on other hosts, or any peer when rings are off
  acceptor local_acceptor_;  // Unix: peers on this host (local_socket.hpp)
  // Per listener (TCP, then Unix), the accepted links that have not proved the secret yet, oldest
  // first. On the transport thread only.
  std::deque<std::weak_ptr<link>> unproven_[2];
  asio::steady_timer idle_timer_;
  std::thread thread_;
  std::mutex peers_mutex_;
  std::unordered_map<pid, std::shared_ptr<peer_state>> peers_;
  // The poller: an epoll set of the links that are up, itself watched by Asio. Each link is in it
  // one-shot, re-armed by the transport thread.
  int poller_fd_ = -1;
  asio::posix::stream_descriptor poller_;
  // The poller's links, held until they are closed: a link waiting for its verdict has no other
  // holder.
  std::mutex watched_mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<link>> watched_;
  std::uint64_t next_watch_id_ = 1;
  // Set when the process begins to exit (deliver_before_exit). From then on no link is opened,
  // and a link that comes up is told goodbye at once: its peer may hold it as up already, and
  // would take an end without a goodbye for a death.
  std::atomic<bool> exiting_{false};

  impl(transport& self, runtime::process_state& process);

  // ---- peers (transport.cpp) ----
  std::shared_ptr<peer_state> peer_for(const pid& remote);

  // ---- connecting and accepting links: connection, handshake, verdict (link_setup.cpp) ----
  void connect(std::shared_ptr<peer_state> peer, std::uint64_t attempt);
  // Gives a new link link_setup_bound to come up. On the transport thread.
  void bound_setup(const std::shared_ptr<link>& fresh);
  // The remote could not be reached: it ended, or it is no process of this job. Its node agent
  // knows which.
  // unanswered: the link setup bound passed, so a remote that lives does not respond.
  void connect_failed(const std::shared_ptr<peer_state>& peer, std::uint64_t attempt,
                      const std::string& why, bool unanswered = false);
  // The link to remote goes through this host's shared memory.
  bool local_to(const peer_state& peer) const;
  // A local link was refused: the peer is not listening yet, or keeps to TCP.
  void local_refused(const std::shared_ptr<peer_state>& peer, std::uint64_t attempt);
  void accept_next(acceptor& from, bool local);
  // Counts a freshly accepted link among its listener's unproven ones, closing the oldest beyond
  // max_unproven_connections.
  void admit_unproven(const std::shared_ptr<link>& l);
  void read_handshake(const std::shared_ptr<link>& l);
  void handshake_failed(const std::shared_ptr<link>& l, const std::string& why, bool authentication,
                        bool unanswered = false);
  // Server side, after the handshake: keep this link, or the one we are opening ourselves.
  void decide(const std::shared_ptr<link>& l);
  void adopt(const std::shared_ptr<link>& l, const std::shared_ptr<peer_state>& peer,
             std::unique_lock<std::mutex>& lock);

  // ---- the transport thread's watch over links that are up (link_poller.cpp) ----
  // On the transport thread, once the handshake is done: takes the socket out of Asio's reactor
  // (nothing of Asio's is pending on it) into the poller, watched for reading.
  bool own_socket(const std::shared_ptr<link>& l);
  void forget(std::uint64_t watch_id);
  void start_reading(const std::shared_ptr<link>& l);
  // On the transport thread: asks the poller for the link's next event.
  void rearm(link& l);
  void watch_poller();
  void on_ready(std::uint64_t watch_id, std::uint32_t events);

  // ---- reading a link: frames, messages, control (link_reading.cpp) ----
  // A link's socket is read by whoever holds its read mutex: the transport thread when the socket
  // turns readable, or a user thread blocked on that peer, which reads the socket itself as a
  // plain blocking read would, so that no hand-off between threads stands between a message's
  // arrival and the caller waiting for it.
  // Reads all the socket holds now and delivers every complete message. Any thread. The transport
  // thread leaves the link to a user thread waiting on it (which then reads once more when it
  // stops waiting); deciding that with one atomic word keeps the two from missing each other.
  // False when the link was left so.
  // A thread spinning on a ring link passes doorbell = false: it reads the ring alone, without a
  // system call; the socket is looked at when it sleeps or the transport thread is woken.
  bool pump(const std::shared_ptr<link>& l, bool transport_thread = false, bool doorbell = true);
  void pump_locked(const std::shared_ptr<link>& l, std::unique_lock<std::mutex>& read,
                   bool transport_thread, bool doorbell);
  // With the read mutex held: reads and handles what the link holds now. False when parsing ended
  // the link (the read mutex is then no longer to be used); lost is set when the link was lost.
  bool read_available(const std::shared_ptr<link>& l, bool transport_thread, bool& lost);
  // With the read mutex held: handles every complete frame in the input. False once the link ended.
  bool parse_input(const std::shared_ptr<link>& l);
  bool finish_large(const std::shared_ptr<link>& l);
  // Moves parsed messages into the peer's inbox under one lock, or hands them to pending
  // async receives.
  void flush_arrived(const std::shared_ptr<link>& l);
  // Returns false when the link was closed.
  bool handle_frame(const std::shared_ptr<link>& l, std::uint8_t type, std::string_view payload);
  // A link's next input bytes: from its socket, or from its ring once it has one. As recv: > 0
  // bytes, 0 at the end, < 0 with errno EAGAIN when there is nothing now.
  ssize_t read_input(link& l, char* into, std::size_t room);
  // A ring link's socket: takes the doorbell bytes (rang: there were some). False at its end
  // (the peer is gone).
  bool drain_doorbell(link& l, bool& rang);
  // Before a thread sleeps on a link's socket: on a ring link, asks to be woken by the doorbell.
  // True when input came meanwhile, so the caller should read instead of sleeping.
  static bool input_before_sleep(link& l);

  // ---- the end of a link: lost, peer gone, idle, closed (link_lifecycle.cpp) ----
  // The link ended without an idle close: the remote exited (it said goodbye) or died.
  void link_lost(const std::shared_ptr<link>& l);
  void mark_gone(peer_state& peer, std::unique_lock<std::mutex>& lock, channel_errc reason,
                 std::string message);
  // An idle link both sides agreed to close: the peer lives on, the next channel reconnects.
  void retire_link(peer_state& peer, std::unique_lock<std::mutex>&);
  void check_idle_links();
  // Any thread: ends the link at once (shutdown is safe beside other threads' reads, writes and
  // polls). The descriptor itself is closed when the last holder of the link lets go of it, so
  // that a thread still using it never meets a descriptor reused for something else.
  bool close_socket(link& l);

  // ---- writing to a link (link_writing.cpp) ----
  // Handshake messages and the verdict: small, on a socket whose buffer is empty, so that the
  // kernel takes them whole at once. False when it did not.
  bool send_now(link& l, const std::string& bytes);
  // With peer.mutex held and peer.writing set by the caller.
  void start_writing(peer_state& peer);
  // On the transport thread: writes the peer's queued frames a batch at a time, as far as the
  // socket takes them; the poller says when it has room for the rest.
  void write_batch(const std::shared_ptr<link>& l);
  // Any thread, without the peer's lock: writes parts whole from the calling thread, waiting for
  // room in the socket as a blocking write would. False when the link ended first.
  bool write_all(link& l, std::span<iovec> parts);
  // Writes what fits of parts to the link without waiting: sendmsg, or copies into its ring. As
  // sendmsg: bytes written, or < 0 with errno EAGAIN when nothing fits now.
  ssize_t write_some(link& l, std::span<const iovec> parts);
  static void ring_doorbell(link& l);
};

}  // namespace constellation::channel
