#pragma once
// The transport's record of one remote process: the link to it, what waits to be sent there, and
// what it sent that nobody has received yet. Shared by user threads and the transport's thread,
// guarded by its mutex.

#include <constellation/detail/channel_ends.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace constellation::channel {

class link;

// A select() waiting on several peers: whichever gets a message (or ends) wakes it.
struct select_waiter {
  std::mutex mutex;
  std::condition_variable ready;
  bool signalled = false;
  void signal() {
    std::lock_guard lock(mutex);
    signalled = true;
    ready.notify_one();
  }
};

// Bytes a sender may have on the way to one receiver before it waits for the receiver to consume
// them. Bounds the memory a process spends on each peer; a larger single message may still pass
// when nothing else is in flight.
inline constexpr std::int64_t window_bytes = 8 * 1024 * 1024;

enum class link_phase {
  none,        // no connection; the next channel end opens one
  connecting,  // a connection is being made
  up,          // messages flow
  closing,     // asked the peer to close the idle link; nothing may be sent
  gone,        // the remote process ended: final
};

}  // namespace constellation::channel

namespace constellation::detail {

struct peer_state {
  explicit peer_state(pid r) : remote(r) {}

  const pid remote;
  std::mutex mutex;
  std::condition_variable changed;  // phase, credit, inbox: any change a blocked caller waits for

  channel::link_phase phase = channel::link_phase::none;
  channel_errc gone_reason = channel_errc::died;
  std::string gone_message;
  std::shared_ptr<channel::link> link;
  std::uint64_t attempt = 0;  // numbers connection attempts, so that a stale one is recognised
  // Local links (through shared memory) refused since then; after a while the peer gets TCP.
  std::chrono::steady_clock::time_point local_refused_since{};
  bool local_refused = false;
  bool sender_open = false;
  bool receiver_open = false;

  // Sending.
  std::deque<std::string> outgoing;  // frames the transport thread will write
  std::size_t outgoing_written = 0;  // bytes of outgoing.front() already written
  bool writing = false;              // the transport thread owns the socket's writing side
  std::chrono::steady_clock::time_point last_direct_write{};
  std::int64_t credit = channel::window_bytes;
  std::unordered_set<std::uint64_t> announced_types;
  struct pending_send {
    type_tag type;
    std::string message;
    std::move_only_function<void(boost::system::error_code)> done;
  };
  std::deque<pending_send> pending_sends;
  bool goodbye_sent = false;
  bool goodbye_acknowledged = false;
  // Data bytes on the current link: sent by us, received from the peer, and how many of ours the
  // peer confirmed in its goodbye or goodbye acknowledgement.
  std::uint64_t data_sent = 0;
  std::uint64_t data_received = 0;
  std::uint64_t data_confirmed = 0;

  // Receiving.
  std::deque<received_message> inbox;
  std::int64_t unreturned_credit = 0;
  std::unordered_map<std::uint64_t, std::string> type_names;
  std::deque<std::move_only_function<void(boost::system::error_code, received_message)>>
      pending_recvs;
  std::vector<channel::select_waiter*> selectors;
  bool goodbye_received = false;

  std::chrono::steady_clock::time_point last_use = std::chrono::steady_clock::now();
};

}  // namespace constellation::detail
