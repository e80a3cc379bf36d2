#pragma once
// One connection to a peer process: its socket while it is set up (Asio's) and once up (the
// transport's own), its reading side shared by the transport thread and user threads, and the
// frames the transport thread is writing. A link to a peer on the same host is made over a Unix
// socket and then carries its frames through a pair of shared rings (shm_ring.hpp); its socket
// is left with two jobs: waking a sleeping side (a byte, the doorbell) and telling that the peer
// is gone (end of file), so every wait on the socket works for both kinds of link.

#include "channel/shm_ring.hpp"
#include "channel/transport.hpp"
#include "posix/unique_fd.hpp"
#include "wire/handshake.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace constellation::channel {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using stream_socket = asio::generic::stream_protocol::socket;
using detail::peer_state;

class link {
 public:
  link(transport::impl& owner, stream_socket socket, bool local)
      : owner_(owner),
        socket_(std::move(socket)),
        local_(local),
        setup_deadline_(socket_.get_executor()),
        rewatch_(socket_.get_executor()) {}
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  int fd() { return fd_ ? fd_.get() : socket_.native_handle(); }

  transport::impl& owner_;
  stream_socket socket_;  // Asio's while the link is being set up: TCP, or Unix when local_
  const bool local_;
  // A local link's shared rings, once the verdict handed them over; frames go through them from
  // then on. Set before the link is adopted, never changed after.
  std::unique_ptr<shm_link> rings_;
  posix::unique_fd
      passed_fd_;  // the rings' descriptor, as received with the verdict (connecting side)
  // Once set up, the socket is the transport's own, out of Asio's reactor and watched by the
  // transport's poller, so that data a user thread reads itself wakes no other thread. Closed
  // when the last holder of the link lets go of it, so that a thread still using it never meets
  // a descriptor reused for something else. (Closing it also takes it out of the poller.)
  posix::unique_fd fd_;
  std::uint64_t watch_id_ = 0;
  // On the transport thread only: what the poller watches for. Reading is left to a user thread
  // reading the link (until rewatch_ fires); writing is watched while queued frames wait for room.
  bool read_left_to_user_ = false;
  bool want_write_ = false;
  asio::steady_timer setup_deadline_;
  asio::steady_timer rewatch_;
  std::shared_ptr<peer_state>
      peer_;                   // set for outgoing links at once, for incoming ones once known
  std::uint64_t attempt_ = 0;  // for outgoing links
  bool outgoing_ = false;
  std::atomic<bool> adopted_{false};
  std::atomic<bool> closed_{false};
  std::optional<wire::handshake_client> client_;
  std::optional<wire::handshake_server> server_;

  // The reading side, held by whoever reads the socket: the transport thread, or a user thread
  // blocked on this peer (see transport::wait_for_peer).
  std::mutex read_mutex_;
  std::string input_;
  std::size_t input_used_ = 0;
  std::string large_;  // a large message read straight into its own buffer
  std::size_t large_filled_ = 0;
  std::vector<detail::received_message> arrived_;  // parsed, not yet in the peer's inbox
  // Who reads the link, in one word so that the transport thread decides without a lock: the
  // number of user threads reading it themselves, whether the transport thread left a readiness
  // event to them, and whether the transport thread is reading it now.
  static constexpr std::uint32_t readers_mask = 0xffff, skipped = 1u << 16,
                                 transport_reading = 1u << 17;
  std::atomic<std::uint32_t> read_state_{0};

  std::vector<std::string> batch_;  // being written by the transport thread
  // The transport thread found the outgoing ring full and waits for the peer's doorbell: whoever
  // drains the doorbell hands writing back to it.
  std::atomic<bool> write_blocked_{false};
  std::size_t batch_skip_ = 0;  // bytes of batch_.front() written before
};

}  // namespace constellation::channel
