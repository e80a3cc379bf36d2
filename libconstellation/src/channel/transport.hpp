#pragma once
// The channel transport of one process: a listening socket, one connection per peer process at
// most, and one thread running an Asio loop for them. Channel ends talk to it through the peers.

#include "channel/peer_state.hpp"

#include <constellation/pid.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace constellation::runtime {
struct process_state;
}

namespace constellation::channel {

class transport {
 public:
  // Starts the process's transport (in init(), in every user process): from then on it accepts
  // its peers' connections, and at exit it delivers what was sent before exit returns.
  static void start(runtime::process_state& state);
  // std::logic_error naming call before init().
  static transport& get(const char* call);

  // Registers a channel end to remote and starts a connection to it if there is none.
  std::shared_ptr<detail::peer_state> open(pid remote, bool sending);
  void close(detail::peer_state& peer, bool sending);

  // With peer.mutex held by lock: ask for a link if there is none.
  void want_link(detail::peer_state& peer);
  // With peer.mutex held: writes the frame now when the socket is free, else queues it for the
  // transport thread. Frames leave in the order given.
  void write(detail::peer_state& peer, std::string frame);
  // With peer.mutex held, at exit: tells peer goodbye after whatever was queued, with the count
  // of data received, and waits for its acknowledgement from then on.
  void say_goodbye(detail::peer_state& peer);
  // With peer.mutex held by lock: waits until deadline or until something may have changed for
  // peer (a message, its end). While its link is up the calling thread reads the link itself.
  void wait_for_peer(detail::peer_state& peer, std::unique_lock<std::mutex>& lock,
                     std::chrono::steady_clock::time_point deadline);
  // Without any peer lock: waits a while for any of peers, reading their links directly.
  void wait_for_any(std::span<detail::peer_state* const> peers, select_waiter& waiter);
  // With peer.mutex held: the receiver consumed a message of this many payload bytes.
  void consumed(detail::peer_state& peer, std::int64_t bytes);
  // With peer.mutex held: sends what pending async sends the window now allows; returns their
  // completions, to be called after the lock is released.
  std::vector<std::move_only_function<void()>> admit_pending_sends(detail::peer_state& peer);
  // With peer.mutex held: frames the message as data (and its type first if new on this link).
  void send_message(detail::peer_state& peer, const detail::type_tag& type, std::string message);
  // Before a blocking send of bytes on a ring link whose ring lacks room for them: waits (lock
  // released) while the reader is likely to make room soon, so that the sender copies the
  // message in itself instead of queueing it for the transport thread. False when it did not wait.
  bool wait_for_ring_room(detail::peer_state& peer, std::unique_lock<std::mutex>& lock,
                          std::size_t bytes);

  // With peer.mutex held by lock, the link up, the window allowing message and nobody writing:
  // writes message from this thread, its borrowed blocks straight from the caller's memory, and
  // returns once the socket took all of it (lock held again). False when the link was lost first.
  bool send_in_place(detail::peer_state& peer, std::unique_lock<std::mutex>& lock,
                     const detail::type_tag& type, detail::outgoing_message& message);

  // Runs f on the transport thread after delay: for runtime work that must happen later without
  // a thread of its own (progress_reporter's coalesced reports).
  void run_after(std::chrono::steady_clock::duration delay, std::function<void()> f);

  // At exit: tells every connected peer goodbye, and every peer whose link is being set up once
  // that link is up, and waits, at most bound, until each confirmed receiving everything; names on
  // stderr any peer that did not. From then on no link is opened.
  void deliver_before_exit();

  // From now on, links this process makes or accepts stay on TCP, as with
  // CONSTELLATION_CHANNELS=tcp: its local socket closes, so that peers on this host fall back to
  // TCP too. Links already up keep what they are. For tests of that fallback.
  void keep_links_on_tcp();

  struct impl;

 private:
  explicit transport(runtime::process_state& state);
  void enter_reading(const std::shared_ptr<link>& l);
  void leave_reading(const std::shared_ptr<link>& l);
  std::unique_ptr<impl> impl_;
};

// The payload bytes a message takes against the window.
inline std::int64_t window_cost(std::size_t framed_size) {
  return static_cast<std::int64_t>(framed_size - 5);
}
inline std::int64_t window_cost(const std::string& framed) {
  return window_cost(framed.size());
}
// Whether a message of cost bytes may be sent now: within the window, or alone on the way.
inline bool window_allows(const detail::peer_state& peer, std::int64_t cost) {
  return peer.credit >= cost || peer.credit >= window_bytes - window_bytes / 4;
}

}  // namespace constellation::channel
