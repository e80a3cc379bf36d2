#include "channel/transport.hpp"

#include "agent/tcp_tuning.hpp"
#include "channel/channel_frames.hpp"
#include "runtime/pid_access.hpp"
#include "runtime/process_state.hpp"
#include "wire/handshake.hpp"

#include <constellation/detail/serialization.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <limits.h>
#include <poll.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace constellation::channel {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
using detail::peer_state;

namespace {

constexpr const char* handshake_purpose = "channel";
// A message this large is read straight into its own buffer rather than through the read buffer.
constexpr std::size_t direct_read_threshold = 256 * 1024;
// Sends closer together than this are left for the transport thread to write in one batch.
constexpr auto batching_interval = std::chrono::microseconds(20);
// How long the transport thread leaves a link to the user thread reading it before it looks at
// the link again.
constexpr auto rewatch_delay = std::chrono::milliseconds(1);
// How long a receiver whose link is up reads it in a busy loop before it sleeps in poll(): a
// message that comes within this time is taken without waking a sleeping thread, which costs tens
// of microseconds on a virtual machine. CONSTELLATION_SPIN_US overrides it; 0 never spins.
std::chrono::microseconds spin_bound() {
  static const auto bound = [] {
    const char* v = std::getenv("CONSTELLATION_SPIN_US");
    return std::chrono::microseconds(v && *v ? std::strtol(v, nullptr, 10) : 50);
  }();
  return bound;
}
// How long exit waits for peers to confirm they received everything.
constexpr auto exit_delivery_bound = std::chrono::seconds(30);
// A link unused this long is closed, so that descriptors stay bounded.
constexpr auto idle_link_age = std::chrono::seconds(2);
// A new link that is not up this long after it was opened or accepted (connection, handshake and
// verdict) is given up: the host is unreachable, or the other end is no channel peer. A sender
// then asks the node agent whether the remote still lives, and tries again if it does.
constexpr auto link_setup_bound = std::chrono::seconds(5);

std::string identity_of(const pid& p) { return detail::serialize_value(p); }

// CONSTELLATION_TRACE_CHANNELS=1: one stderr line per link event, for debugging a topology.
bool tracing() {
  static const bool on = [] {
    const char* v = std::getenv("CONSTELLATION_TRACE_CHANNELS");
    return v && *v == '1';
  }();
  return on;
}
#define CHANNEL_TRACE(...)                                   \
  do {                                                       \
    if (tracing()) {                                         \
      std::fprintf(stderr, "constellation channels: " __VA_ARGS__); \
      std::fputc('\n', stderr);                             \
    }                                                        \
  } while (0)

std::optional<pid> pid_from_identity(const std::string& identity) {
  try {
    return detail::deserialize_value<pid>(identity);
  } catch (...) {
    return std::nullopt;
  }
}

// Nothing holds the link: no channel end, nothing waiting in either direction. Credit not yet
// returned does not count: a new link starts with a full window on both sides. Messages still on
// the way to the peer count there: they precede the idle query, so the peer answers busy.
bool link_idle(const peer_state& peer) {
  return !peer.sender_open && !peer.receiver_open && peer.inbox.empty() && peer.outgoing.empty() &&
         !peer.writing && peer.pending_sends.empty() && peer.pending_recvs.empty() && peer.selectors.empty();
}

}  // namespace

class link : public std::enable_shared_from_this<link> {
 public:
  link(transport::impl& owner, tcp::socket socket)
      : owner_(owner),
        socket_(std::move(socket)),
        setup_deadline_(socket_.get_executor()),
        rewatch_(socket_.get_executor()) {}
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  int fd() { return fd_ >= 0 ? fd_ : socket_.native_handle(); }

  transport::impl& owner_;
  tcp::socket socket_;  // Asio's while the link is being set up
  // Once set up, the socket is the transport's own, out of Asio's reactor and watched by the
  // transport's poller, so that data a user thread reads itself wakes no other thread. Closed
  // when the last holder of the link lets go of it, so that a thread still using it never meets
  // a descriptor reused for something else.
  int fd_ = -1;
  std::uint64_t watch_id_ = 0;
  // On the transport thread only: what the poller watches for. Reading is left to a user thread
  // reading the link (until rewatch_ fires); writing is watched while queued frames wait for room.
  bool read_left_to_user_ = false;
  bool want_write_ = false;
  asio::steady_timer setup_deadline_;
  asio::steady_timer rewatch_;
  std::shared_ptr<peer_state> peer_;  // set for outgoing links at once, for incoming ones once known
  std::uint64_t attempt_ = 0;         // for outgoing links
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
  static constexpr std::uint32_t readers_mask = 0xffff, skipped = 1u << 16, transport_reading = 1u << 17;
  std::atomic<std::uint32_t> read_state_{0};

  std::vector<std::string> batch_;  // being written by the transport thread
  std::size_t batch_skip_ = 0;      // bytes of batch_.front() written before
};

struct transport::impl {
  transport& self_;
  runtime::process_state& process_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
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

  impl(transport& self, runtime::process_state& process)
      : self_(self), process_(process), acceptor_(io_), idle_timer_(io_), poller_(io_) {
    poller_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (poller_fd_ < 0) throw std::system_error(errno, std::generic_category(), "constellation: epoll_create1 for the channel transport");
    poller_.assign(poller_fd_);
    watch_poller();
    if (process_.listener_fd >= 0) {
      acceptor_.assign(tcp::v4(), process_.listener_fd);
      process_.listener_fd = -1;
      accept_next();
    }
    check_idle_links();
  }

  std::shared_ptr<peer_state> peer_for(const pid& remote) {
    std::lock_guard lock(peers_mutex_);
    auto& slot = peers_[remote];
    if (!slot) slot = std::make_shared<peer_state>(remote);
    return slot;
  }

  // ---- connecting ----

  void connect(std::shared_ptr<peer_state> peer, std::uint64_t attempt) {
    const auto& remote = peer->remote;
    tcp::endpoint endpoint(asio::ip::address_v4(detail::pid_access::ipv4(remote)), detail::pid_access::port(remote));
    auto l = std::make_shared<link>(*this, tcp::socket(io_));
    l->peer_ = peer;
    l->attempt_ = attempt;
    l->outgoing_ = true;
    bound_setup(l);
    l->socket_.async_connect(endpoint, [this, l](const boost::system::error_code& ec) {
      if (l->closed_) return;  // the setup bound passed
      if (ec) {
        close_socket(*l);
        return connect_failed(l->peer_, l->attempt_, "cannot connect: " + ec.message());
      }
      agent::tune_tcp(l->socket_);
      l->client_.emplace(process_.job_secret, handshake_purpose, identity_of(process_.self));
      if (!send_now(*l, l->client_->start())) return handshake_failed(l, "could not send the handshake", false);
      read_handshake(l);
    });
  }

  // Gives a new link link_setup_bound to come up. On the transport thread.
  void bound_setup(const std::shared_ptr<link>& fresh) {
    fresh->setup_deadline_.expires_after(link_setup_bound);
    fresh->setup_deadline_.async_wait([this, weak = std::weak_ptr<link>(fresh)](const boost::system::error_code& ec) {
      auto l = weak.lock();
      if (ec || !l || l->adopted_ || l->closed_) return;
      CHANNEL_TRACE("%s: a link %s %s was not up within %lld s", process_.self.to_string().c_str(),
                    l->outgoing_ ? "to" : "from", l->peer_ ? l->peer_->remote.to_string().c_str() : "a new peer",
                    static_cast<long long>(link_setup_bound.count()));
      handshake_failed(l, "no answer within " + std::to_string(link_setup_bound.count()) + " s", false);
      boost::system::error_code ignored;
      l->socket_.cancel(ignored);  // a connection still being made ends now
    });
  }

  // The remote could not be reached: it ended, or it is no process of this job. Its node agent
  // knows which.
  void connect_failed(const std::shared_ptr<peer_state>& peer, std::uint64_t attempt, const std::string& why) {
    auto status = process_.control->peer_status(peer->remote);
    CHANNEL_TRACE("%s: connect to %s failed (%s), status %d", process_.self.to_string().c_str(),
                  peer->remote.to_string().c_str(), why.c_str(), static_cast<int>(status));
    std::unique_lock lock(peer->mutex);
    if (peer->attempt != attempt || peer->phase != link_phase::connecting) return;
    if (status == wire::peer_status::alive) {
      // Alive but refusing: a transient failure. Try again shortly.
      peer->phase = link_phase::none;
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
      timer->async_wait([this, peer, timer](const boost::system::error_code&) {
        std::lock_guard again(peer->mutex);
        if (peer->phase == link_phase::none && (peer->sender_open || peer->receiver_open)) self_.want_link(*peer);
      });
      return;
    }
    const bool exited = status == wire::peer_status::exited;
    mark_gone(*peer, lock, exited ? channel_errc::exited : channel_errc::died,
              peer->remote.to_string() + (exited ? " has exited" : status == wire::peer_status::died ? " has died" : " is not a process of this job (" + why + ")"));
  }

  void accept_next() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        auto l = std::make_shared<link>(*this, std::move(socket));
        agent::tune_tcp(l->socket_);
        bound_setup(l);
        l->server_.emplace(process_.job_secret, handshake_purpose, identity_of(process_.self));
        read_handshake(l);
      }
      accept_next();
    });
  }

  void read_handshake(const std::shared_ptr<link>& l) {
    l->input_.resize(std::max<std::size_t>(l->input_.size(), 64 * 1024));
    l->socket_.async_read_some(
        asio::buffer(l->input_.data() + l->input_used_, l->input_.size() - l->input_used_),
        [this, l](const boost::system::error_code& ec, std::size_t n) {
          if (l->closed_) return;  // the setup bound passed
          if (ec) return handshake_failed(l, "connection lost during the handshake: " + ec.message(), false);
          l->input_used_ += n;
          std::string_view received(l->input_.data(), l->input_used_);
          auto step = l->client_ ? l->client_->feed(received) : l->server_->feed(received);
          if (!step) return handshake_failed(l, wire::to_string(step.error()), true);
          if (!step->to_send.empty() && !send_now(*l, step->to_send))
            return handshake_failed(l, "could not send the handshake", false);
          l->input_.erase(0, step->consumed);
          l->input_used_ -= step->consumed;
          const bool done = l->client_ ? l->client_->done() : l->server_->done();
          if (!done) return read_handshake(l);
          if (l->server_) return decide(l);
          // Client: the server's verdict on the link arrives as its first frame.
          auto remote = pid_from_identity(l->client_->peer_identity());
          if (!remote || *remote != l->peer_->remote)
            return handshake_failed(l, "another process answers at that address", false);
          if (!own_socket(l)) return handshake_failed(l, "cannot watch the connection", false);
          start_reading(l);
        });
  }

  void handshake_failed(const std::shared_ptr<link>& l, const std::string& why, bool authentication) {
    close_socket(*l);
    if (!l->outgoing_) return;  // a stranger at our door: just close
    if (authentication) {
      std::unique_lock lock(l->peer_->mutex);
      if (l->peer_->attempt == l->attempt_ && l->peer_->phase == link_phase::connecting)
        mark_gone(*l->peer_, lock, channel_errc::unauthenticated,
                  l->peer_->remote.to_string() + " did not prove it belongs to this job (" + why + ")");
      return;
    }
    connect_failed(l->peer_, l->attempt_, why);
  }

  // Server side, after the handshake: keep this link, or the one we are opening ourselves.
  void decide(const std::shared_ptr<link>& l) {
    auto remote = pid_from_identity(l->server_->peer_identity());
    if (!remote) {
      close_socket(*l);
      return;
    }
    auto peer = peer_for(*remote);
    std::unique_lock lock(peer->mutex);
    const bool ours_wins = peer->phase == link_phase::up ||
                           (peer->phase == link_phase::connecting && process_.self < *remote);
    CHANNEL_TRACE("%s: link from %s: %s (phase %d)", process_.self.to_string().c_str(), remote->to_string().c_str(),
                  peer->phase == link_phase::gone || ours_wins ? "rejected" : "accepted", static_cast<int>(peer->phase));
    if (peer->phase == link_phase::gone || ours_wins) {
      lock.unlock();
      auto verdict = std::make_shared<std::string>(signal_frame(frame_kind::link_rejected));
      asio::async_write(l->socket_, asio::buffer(*verdict),
                        [this, l, verdict](const boost::system::error_code&, std::size_t) { close_socket(*l); });
      return;
    }
    ++peer->attempt;  // our own attempt, if any, is superseded by this link
    // Written before adoption, so that no message can overtake it.
    if (!own_socket(l) || !send_now(*l, signal_frame(frame_kind::link_accepted))) {
      lock.unlock();
      close_socket(*l);
      return;
    }
    adopt(l, peer, lock);
    start_reading(l);
  }

  void adopt(const std::shared_ptr<link>& l, const std::shared_ptr<peer_state>& peer, std::unique_lock<std::mutex>& lock) {
    CHANNEL_TRACE("%s: link to %s up (%s)", process_.self.to_string().c_str(), peer->remote.to_string().c_str(),
                  l->outgoing_ ? "ours" : "theirs");
    l->peer_ = peer;
    l->adopted_ = true;
    peer->link = l;
    peer->phase = link_phase::up;
    peer->credit = window_bytes;
    peer->unreturned_credit = 0;
    peer->data_sent = peer->data_received = peer->data_confirmed = 0;
    peer->announced_types.clear();
    peer->last_use = clock::now();
    peer->changed.notify_all();
    auto completions = self_.admit_pending_sends(*peer);
    if (!peer->outgoing.empty() && !peer->writing) start_writing(*peer);
    lock.unlock();
    for (auto& c : completions) c();
  }

  // ---- reading ----

  // A link's socket is read by whoever holds its read mutex: the transport thread when the socket
  // turns readable, or a user thread blocked on that peer, which reads the socket itself as a
  // plain blocking read would, so that no hand-off between threads stands between a message's
  // arrival and the caller waiting for it.

  // On the transport thread, once the handshake is done: takes the socket out of Asio's reactor
  // (nothing of Asio's is pending on it) into the poller, watched for reading.
  bool own_socket(const std::shared_ptr<link>& l) {
    boost::system::error_code ec;
    const int fd = l->socket_.release(ec);
    if (ec) return false;
    l->fd_ = fd;
    {
      std::lock_guard lock(watched_mutex_);
      l->watch_id_ = next_watch_id_++;
      watched_[l->watch_id_] = l;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    event.data.u64 = l->watch_id_;
    return ::epoll_ctl(poller_fd_, EPOLL_CTL_ADD, fd, &event) == 0;
  }

  void forget(std::uint64_t watch_id) {
    std::shared_ptr<link> last;  // let go of outside the lock
    std::lock_guard lock(watched_mutex_);
    if (auto it = watched_.find(watch_id); it != watched_.end()) {
      last = std::move(it->second);
      watched_.erase(it);
    }
  }

  void start_reading(const std::shared_ptr<link>& l) {
    std::lock_guard read(l->read_mutex_);
    parse_input(l);  // the bytes that followed the handshake
  }

  // On the transport thread: asks the poller for the link's next event.
  void rearm(link& l) {
    if (l.fd_ < 0 || l.closed_) return;
    epoll_event event{};
    event.events = EPOLLONESHOT | (l.read_left_to_user_ ? 0u : EPOLLIN | EPOLLRDHUP) | (l.want_write_ ? EPOLLOUT : 0u);
    event.data.u64 = l.watch_id_;
    ::epoll_ctl(poller_fd_, EPOLL_CTL_MOD, l.fd_, &event);
  }

  void watch_poller() {
    poller_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      epoll_event events[64];
      int n = 0;
      do {
        n = ::epoll_wait(poller_fd_, events, 64, 0);
        for (int i = 0; i < n; ++i) on_ready(events[i].data.u64, events[i].events);
      } while (n == 64);
      watch_poller();
    });
  }

  void on_ready(std::uint64_t watch_id, std::uint32_t events) {
    std::shared_ptr<link> l;
    {
      std::lock_guard lock(watched_mutex_);
      if (auto it = watched_.find(watch_id); it != watched_.end()) l = it->second;
    }
    if (!l || l->closed_) return;
    if ((events & EPOLLOUT) && l->want_write_) {
      l->want_write_ = false;
      write_batch(l);
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) && !l->read_left_to_user_ && !pump(l, true)) {
      // A user thread is reading the link: its unread data would report the link ready at once.
      // Look again a little later, rather than have the user thread ask for it on its critical
      // path.
      l->read_left_to_user_ = true;
      l->rewatch_.expires_after(rewatch_delay);
      l->rewatch_.async_wait([this, l](const boost::system::error_code& again) {
        if (again) return;
        l->read_left_to_user_ = false;
        rearm(*l);
      });
    }
    rearm(*l);
  }

  // Reads all the socket holds now and delivers every complete message. Any thread. The transport
  // thread leaves the link to a user thread waiting on it (which then reads once more when it
  // stops waiting); deciding that with one atomic word keeps the two from missing each other.
  // False when the link was left so.
  bool pump(const std::shared_ptr<link>& l, bool transport_thread = false) {
    if (transport_thread) {
      auto state = l->read_state_.load();
      while (true) {
        const auto next = (state & link::readers_mask) ? state | link::skipped : state | link::transport_reading;
        if (l->read_state_.compare_exchange_weak(state, next)) break;
      }
      if (state & link::readers_mask) return false;  // left to the user thread reading it
      std::unique_lock read(l->read_mutex_);
      pump_locked(l, read, true);
      l->read_state_.fetch_and(~link::transport_reading);
      return true;
    }
    std::unique_lock read(l->read_mutex_);
    pump_locked(l, read, false);
    return true;
  }

  void pump_locked(const std::shared_ptr<link>& l, std::unique_lock<std::mutex>& read, bool transport_thread) {
    bool lost = false;
    while (!l->closed_) {
      // A user thread came to read the link itself: the transport thread hands the rest to it
      // rather than keeping it waiting while a stream goes on.
      if (transport_thread && (l->read_state_.load() & link::readers_mask)) break;
      char* into;
      std::size_t room;
      if (!l->large_.empty()) {
        into = l->large_.data() + l->large_filled_;
        room = l->large_.size() - l->large_filled_;
      } else {
        if (l->input_.size() < l->input_used_ + 64 * 1024) l->input_.resize(l->input_used_ + 64 * 1024);
        into = l->input_.data() + l->input_used_;
        room = l->input_.size() - l->input_used_;
      }
      const ssize_t n = ::recv(l->fd(), into, room, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {
        lost = true;
        break;
      }
      if (!l->large_.empty()) {
        l->large_filled_ += static_cast<std::size_t>(n);
        if (l->large_filled_ == l->large_.size() && !finish_large(l)) {
          lost = true;
          break;
        }
      } else {
        l->input_used_ += static_cast<std::size_t>(n);
        if (!parse_input(l)) return;
      }
      // A short read emptied the socket: more data will wake a poll or the transport thread.
      if (static_cast<std::size_t>(n) < room) break;
    }
    flush_arrived(l);
    read.unlock();
    if (lost) link_lost(l);
  }

  // With the read mutex held: handles every complete frame in the input. False once the link ended.
  bool parse_input(const std::shared_ptr<link>& l) {
    std::size_t consumed = 0;
    bool malformed = false;
    while (!l->closed_) {
      std::string_view rest(l->input_.data() + consumed, l->input_used_ - consumed);
      auto decoded = wire::decode_frame(rest);
      if (!decoded) {
        malformed = true;
        break;
      }
      if (!*decoded) {
        if (l->adopted_ && rest.size() >= wire::frame_header_size && rest[4] == static_cast<char>(frame_kind::data)) {
          std::uint32_t length = 0;
          for (int i = 3; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(rest[static_cast<std::size_t>(i)]);
          const std::size_t total = 4 + static_cast<std::size_t>(length);
          if (total >= direct_read_threshold) {
            // Read the rest of a large message straight into its own buffer: one copy less.
            l->large_.resize_and_overwrite(total, [](char*, std::size_t size) { return size; });
            std::memcpy(l->large_.data(), rest.data(), rest.size());
            l->large_filled_ = rest.size();
            consumed = l->input_used_;
          }
        }
        break;
      }
      consumed += (*decoded)->size;
      const auto type = (*decoded)->type;
      const auto payload = (*decoded)->payload;
      if (type == static_cast<std::uint8_t>(frame_kind::data) && l->adopted_) {
        auto hash = read_u64(payload);
        if (!hash) {
          malformed = true;
          break;
        }
        l->arrived_.push_back(detail::received_message{*hash, std::string(payload), 8});
        continue;
      }
      flush_arrived(l);  // frames after these messages must not overtake them
      if (!handle_frame(l, type, payload)) break;
    }
    if (!l->closed_) {
      l->input_.erase(0, consumed);
      l->input_used_ -= consumed;
    }
    flush_arrived(l);
    if (malformed) {
      link_lost(l);
      return false;
    }
    return !l->closed_;
  }

  bool finish_large(const std::shared_ptr<link>& l) {
    std::string_view payload(l->large_.data() + wire::frame_header_size, l->large_.size() - wire::frame_header_size);
    auto hash = read_u64(payload);
    if (!hash) return false;
    l->arrived_.push_back(detail::received_message{*hash, std::move(l->large_), wire::frame_header_size + 8});
    l->large_.clear();
    l->large_filled_ = 0;
    return true;
  }

  // Moves parsed messages into the peer's inbox under one lock, or hands them to pending
  // async receives.
  void flush_arrived(const std::shared_ptr<link>& l) {
    if (l->arrived_.empty()) return;
    auto& peer = *l->peer_;
    std::vector<std::pair<std::move_only_function<void(boost::system::error_code, detail::received_message)>,
                          detail::received_message>>
        calls;
    {
      std::lock_guard lock(peer.mutex);
      peer.last_use = clock::now();
      for (auto& m : l->arrived_) {
        peer.data_received += m.bytes.size() - m.offset + 8;
        if (!peer.pending_recvs.empty()) {
          self_.consumed(peer, static_cast<std::int64_t>(m.bytes.size() - m.offset + 8));
          calls.emplace_back(std::move(peer.pending_recvs.front()), std::move(m));
          peer.pending_recvs.pop_front();
        } else {
          peer.inbox.push_back(std::move(m));
        }
      }
      peer.changed.notify_all();
      for (auto* s : peer.selectors) s->signal();
    }
    l->arrived_.clear();
    for (auto& [handler, message] : calls) handler({}, std::move(message));
  }

  // Returns false when the link was closed.
  bool handle_frame(const std::shared_ptr<link>& l, std::uint8_t type, std::string_view payload) {
    if (!l->adopted_) {
      // Client side: the first frame is the verdict.
      std::unique_lock lock(l->peer_->mutex);
      auto& peer = *l->peer_;
      if (type == static_cast<std::uint8_t>(frame_kind::link_accepted) && peer.attempt == l->attempt_ &&
          peer.phase == link_phase::connecting) {
        adopt(l, l->peer_, lock);
        return true;
      }
      // Rejected (the remote keeps the link it opens to us) or superseded: wait for the other one,
      // and ask again if it does not come.
      close_socket(*l);
      if (peer.attempt == l->attempt_ && peer.phase == link_phase::connecting) {
        peer.phase = link_phase::none;
        auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(200));
        timer->async_wait([this, p = l->peer_, timer](const boost::system::error_code&) {
          std::lock_guard again(p->mutex);
          if (p->phase == link_phase::none && (p->sender_open || p->receiver_open)) self_.want_link(*p);
        });
      }
      return false;
    }
    auto& peer = *l->peer_;
    switch (static_cast<frame_kind>(type)) {
      case frame_kind::type_name: {
        auto hash = read_u64(payload);
        if (!hash) break;
        std::lock_guard lock(peer.mutex);
        peer.type_names[*hash] = std::string(payload.substr(8));
        return true;
      }
      case frame_kind::credit: {
        auto bytes = read_u64(payload);
        if (!bytes) break;
        std::unique_lock lock(peer.mutex);
        peer.credit += static_cast<std::int64_t>(*bytes);
        peer.changed.notify_all();
        auto completions = self_.admit_pending_sends(peer);
        lock.unlock();
        for (auto& c : completions) c();
        return true;
      }
      case frame_kind::goodbye: {
        std::lock_guard lock(peer.mutex);
        peer.goodbye_received = true;
        peer.data_confirmed = std::max(peer.data_confirmed, read_u64(payload).value_or(0));
        self_.write(peer, counted_frame(frame_kind::goodbye_ack, peer.data_received));
        return true;
      }
      case frame_kind::goodbye_ack: {
        std::lock_guard lock(peer.mutex);
        peer.goodbye_acknowledged = true;
        peer.data_confirmed = std::max(peer.data_confirmed, read_u64(payload).value_or(0));
        peer.changed.notify_all();
        return true;
      }
      case frame_kind::idle_query: {
        std::unique_lock lock(peer.mutex);
        if ((peer.phase == link_phase::up || peer.phase == link_phase::closing) && link_idle(peer)) {
          self_.write(peer, signal_frame(frame_kind::idle_ok));
          retire_link(peer, lock);
        } else {
          self_.write(peer, signal_frame(frame_kind::idle_busy));
        }
        return !l->closed_;
      }
      case frame_kind::idle_ok: {
        std::unique_lock lock(peer.mutex);
        retire_link(peer, lock);
        return false;
      }
      case frame_kind::idle_busy: {
        std::lock_guard lock(peer.mutex);
        if (peer.phase == link_phase::closing) peer.phase = link_phase::up;
        peer.last_use = clock::now();
        peer.changed.notify_all();
        return true;
      }
      default:
        break;
    }
    return true;
  }

  // The link ended without an idle close: the remote exited (it said goodbye) or died.
  void link_lost(const std::shared_ptr<link>& l) {
    if (!close_socket(*l)) return;
    if (!l->adopted_ && l->outgoing_) return connect_failed(l->peer_, l->attempt_, "the link was closed before it was accepted");
    if (!l->adopted_ || !l->peer_) return;
    auto& peer = *l->peer_;
    std::unique_lock lock(peer.mutex);
    if (peer.link != l) return;
    peer.link.reset();
    if (peer.goodbye_sent && peer.goodbye_acknowledged && !peer.goodbye_received) {
      // We are exiting and the peer closed after confirming: nothing is lost.
      peer.phase = link_phase::none;
      peer.changed.notify_all();
      return;
    }
    const bool exited = peer.goodbye_received;
    CHANNEL_TRACE("%s: link to %s lost (%s), %zu waiting", process_.self.to_string().c_str(), peer.remote.to_string().c_str(),
                  exited ? "after goodbye" : "no goodbye", peer.inbox.size());
    mark_gone(peer, lock, exited ? channel_errc::exited : channel_errc::died,
              peer.remote.to_string() + (exited ? " has exited" : " has died (its connection was lost)"));
  }

  void mark_gone(peer_state& peer, std::unique_lock<std::mutex>& lock, channel_errc reason, std::string message) {
    if (peer.link) close_socket(*peer.link);
    peer.link.reset();
    peer.phase = link_phase::gone;
    peer.gone_reason = reason;
    peer.gone_message = std::move(message);
    peer.outgoing.clear();
    peer.outgoing_written = 0;
    peer.writing = false;
    auto sends = std::move(peer.pending_sends);
    auto recvs = std::move(peer.pending_recvs);
    peer.pending_sends.clear();
    peer.pending_recvs.clear();
    const bool inbox_empty = peer.inbox.empty();
    peer.changed.notify_all();
    for (auto* s : peer.selectors) s->signal();
    lock.unlock();
    const auto ec = make_error_code(reason);
    for (auto& s : sends) s.done(ec);
    if (inbox_empty) {
      for (auto& r : recvs) r(ec, {});
    } else {
      // Messages are still waiting: hand them to the pending receives first.
      lock.lock();
      for (auto& r : recvs) {
        if (!peer.inbox.empty()) {
          auto m = std::move(peer.inbox.front());
          peer.inbox.pop_front();
          lock.unlock();
          r({}, std::move(m));
          lock.lock();
        } else {
          lock.unlock();
          r(ec, {});
          lock.lock();
        }
      }
      lock.unlock();
    }
    lock.lock();
  }

  // An idle link both sides agreed to close: the peer lives on, the next channel reconnects.
  void retire_link(peer_state& peer, std::unique_lock<std::mutex>&) {
    if (peer.link) close_socket(*peer.link);
    peer.link.reset();
    peer.phase = link_phase::none;
    peer.changed.notify_all();
  }

  void check_idle_links() {
    idle_timer_.expires_after(std::chrono::seconds(1));
    idle_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      std::vector<std::shared_ptr<peer_state>> peers;
      {
        std::lock_guard lock(peers_mutex_);
        for (auto& [remote, peer] : peers_) peers.push_back(peer);
      }
      const auto now = clock::now();
      for (auto& peer : peers) {
        std::lock_guard lock(peer->mutex);
        if (peer->phase == link_phase::up && link_idle(*peer) && now - peer->last_use >= idle_link_age &&
            process_.self < peer->remote) {
          // One side asks, so that the two never ask each other at once.
          peer->phase = link_phase::closing;
          self_.write(*peer, signal_frame(frame_kind::idle_query));
        }
      }
      check_idle_links();
    });
  }

  // ---- writing ----

  // Handshake messages and the verdict: small, on a socket whose buffer is empty, so that the
  // kernel takes them whole at once. False when it did not.
  bool send_now(link& l, const std::string& bytes) {
    return ::send(l.fd(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  // With peer.mutex held and peer.writing set by the caller.
  void start_writing(peer_state& peer) {
    peer.writing = true;
    asio::post(io_, [this, l = peer.link] {
      if (l) write_batch(l);
    });
  }

  // On the transport thread: writes the peer's queued frames a batch at a time, as far as the
  // socket takes them; the poller says when it has room for the rest.
  void write_batch(const std::shared_ptr<link>& l) {
    auto& peer = *l->peer_;
    if (l->batch_.empty()) {
      std::lock_guard lock(peer.mutex);
      if (peer.link != l || l->closed_) return;
      if (peer.outgoing.empty()) {
        peer.writing = false;
        peer.changed.notify_all();
        return;
      }
      std::size_t bytes = 0;
      l->batch_skip_ = std::exchange(peer.outgoing_written, 0);  // what a direct write already sent
      while (!peer.outgoing.empty() && l->batch_.size() < 256 && bytes < 4 * 1024 * 1024) {
        bytes += peer.outgoing.front().size();
        l->batch_.push_back(std::move(peer.outgoing.front()));
        peer.outgoing.pop_front();
      }
    }
    while (!l->batch_.empty()) {
      if (l->closed_) return;
      std::vector<iovec> parts;
      parts.reserve(l->batch_.size());
      for (std::size_t i = 0; i < l->batch_.size(); ++i) {
        const std::size_t skip = i == 0 ? l->batch_skip_ : 0;
        parts.push_back({l->batch_[i].data() + skip, l->batch_[i].size() - skip});
      }
      msghdr message{};
      message.msg_iov = parts.data();
      message.msg_iovlen = std::min<std::size_t>(parts.size(), IOV_MAX);
      const ssize_t n = ::sendmsg(l->fd(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        l->want_write_ = true;
        rearm(*l);
        return;
      }
      if (n < 0) {
        l->batch_.clear();
        return link_lost(l);
      }
      auto written = static_cast<std::size_t>(n);
      std::size_t done = 0;
      for (; done < l->batch_.size(); ++done) {
        const std::size_t rest = l->batch_[done].size() - (done == 0 ? l->batch_skip_ : 0);
        if (written < rest) break;
        written -= rest;
      }
      l->batch_skip_ = done == 0 ? l->batch_skip_ + written : written;
      l->batch_.erase(l->batch_.begin(), l->batch_.begin() + static_cast<std::ptrdiff_t>(done));
    }
    // The next batch after other work waiting on this thread.
    asio::post(io_, [this, l] { write_batch(l); });
  }

  // Any thread, without the peer's lock: writes parts whole from the calling thread, waiting for
  // room in the socket as a blocking write would. False when the link ended first.
  bool write_all(link& l, std::span<iovec> parts) {
    const int fd = l.fd();
    while (!parts.empty()) {
      if (l.closed_) return false;
      msghdr message{};
      message.msg_iov = parts.data();
      message.msg_iovlen = std::min<std::size_t>(parts.size(), IOV_MAX);
      const ssize_t n = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Bounded, so that a link closed without a sign on the socket is noticed.
        pollfd writable{fd, POLLOUT, 0};
        ::poll(&writable, 1, 100);
        continue;
      }
      if (n < 0) return false;
      auto left = static_cast<std::size_t>(n);
      while (!parts.empty() && left >= parts.front().iov_len) {
        left -= parts.front().iov_len;
        parts = parts.subspan(1);
      }
      if (left) {
        parts.front().iov_base = static_cast<char*>(parts.front().iov_base) + left;
        parts.front().iov_len -= left;
      }
    }
    return true;
  }

  // Any thread: ends the link at once (shutdown is safe beside other threads' reads, writes and
  // polls). The descriptor itself is closed when the last holder of the link lets go of it, so
  // that a thread still using it never meets a descriptor reused for something else.
  bool close_socket(link& l) {
    if (l.closed_.exchange(true)) return false;
    ::shutdown(l.fd(), SHUT_RDWR);
    if (l.watch_id_) forget(l.watch_id_);  // last: it may let go of l
    return true;
  }
};

link::~link() {
  if (fd_ >= 0) ::close(fd_);  // which also takes it out of the poller
}

// ---------------------------------------------------------------------------------------------

namespace {
std::atomic<transport*> the_transport{nullptr};
}

transport::transport(runtime::process_state& state) : impl_(std::make_unique<impl>(*this, state)) {}

void transport::start(runtime::process_state& state) {
  auto* t = new transport(state);  // lives until the process ends: peers may be used at exit
  t->impl_->thread_ = std::thread([t] { t->impl_->io_.run(); });
  the_transport.store(t, std::memory_order_release);
  std::atexit([] {
    if (auto* running = the_transport.load(std::memory_order_acquire)) running->deliver_before_exit();
  });
}

transport& transport::get(const char* call) {
  if (auto* t = the_transport.load(std::memory_order_acquire)) return *t;
  throw std::logic_error(std::string(call) + " used before constellation::init(): call init() as the first statement of main()");
}

std::shared_ptr<peer_state> transport::open(pid remote, bool sending) {
  if (remote == impl_->process_.self)
    throw std::logic_error(std::string(sending ? "constellation::sender" : "constellation::receiver") +
                           ": a channel to this process's own pid " + remote.to_string() + " is not allowed");
  if (!remote) throw std::logic_error("constellation: a channel needs a pid, not the null pid");
  auto peer = impl_->peer_for(remote);
  std::lock_guard lock(peer->mutex);
  bool& open_flag = sending ? peer->sender_open : peer->receiver_open;
  if (open_flag)
    throw std::logic_error(std::string(sending ? "constellation::sender" : "constellation::receiver") + " to " +
                           remote.to_string() + ": this process already has a live " +
                           (sending ? "sender to" : "receiver from") +
                           " that pid; keep one per peer (move it where it is needed)");
  open_flag = true;
  peer->last_use = clock::now();
  want_link(*peer);
  return peer;
}

void transport::close(peer_state& peer, bool sending) {
  std::lock_guard lock(peer.mutex);
  (sending ? peer.sender_open : peer.receiver_open) = false;
  peer.last_use = clock::now();
}

void transport::want_link(peer_state& peer) {
  if (peer.phase != link_phase::none) return;
  peer.phase = link_phase::connecting;
  const auto attempt = ++peer.attempt;
  auto shared = impl_->peer_for(peer.remote);
  asio::post(impl_->io_, [this, shared, attempt] { impl_->connect(shared, attempt); });
}

void transport::write(peer_state& peer, std::string frame) {
  if (!peer.link) {
    peer.outgoing.push_back(std::move(frame));
    return;
  }
  const auto now = clock::now();
  if (!peer.writing && peer.outgoing.empty() && now - peer.last_direct_write >= batching_interval) {
    peer.last_direct_write = now;
    ssize_t n = ::send(peer.link->fd(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(frame.size())) return;
    if (n > 0) peer.outgoing_written = static_cast<std::size_t>(n);  // the transport thread writes the rest
  }
  peer.outgoing.push_back(std::move(frame));
  if (!peer.writing) impl_->start_writing(peer);
}

// A user thread starts reading the link itself. A read the transport thread began before is
// waited for, so that what it delivers is seen.
void transport::enter_reading(const std::shared_ptr<link>& l) {
  const auto before = l->read_state_.fetch_add(1);
  if (before & link::transport_reading) std::lock_guard wait(l->read_mutex_);
}

// A user thread stops reading the link: the last one reads what the transport thread left to it.
void transport::leave_reading(const std::shared_ptr<link>& l) {
  auto state = l->read_state_.load();
  while (true) {
    auto next = state - 1;
    if ((next & link::readers_mask) == 0) next &= ~link::skipped;
    if (l->read_state_.compare_exchange_weak(state, next)) break;
  }
  if ((state & link::readers_mask) == 1 && (state & link::skipped)) impl_->pump(l);
}

void transport::wait_for_peer(peer_state& peer, std::unique_lock<std::mutex>& lock, clock::time_point deadline) {
  auto l = peer.link;
  if (peer.phase != link_phase::up || !l || !peer.pending_recvs.empty()) {
    if (deadline == clock::time_point::max())
      peer.changed.wait(lock);
    else
      peer.changed.wait_until(lock, deadline);
    return;
  }
  lock.unlock();
  enter_reading(l);
  const auto spin_until = clock::now() + spin_bound();
  while (true) {
    {
      std::lock_guard check(peer.mutex);
      if (!peer.inbox.empty() || peer.phase != link_phase::up || peer.link != l) break;
    }
    const auto now = clock::now();
    if (now >= deadline) break;
    if (now < spin_until) {
      impl_->pump(l);
      continue;
    }
    // poll() is level-triggered: data that came before this thread began to watch wakes it too.
    // Bounded, so that a change that does not show on the socket is seen within 100 ms.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    pollfd readable{l->fd(), POLLIN, 0};
    ::poll(&readable, 1, static_cast<int>(std::min<long long>(left, 100)));
    impl_->pump(l);
  }
  leave_reading(l);
  lock.lock();
}

void transport::wait_for_any(std::span<peer_state* const> peers, select_waiter& waiter) {
  std::vector<std::shared_ptr<link>> links;
  bool all_up = true;
  for (auto* peer : peers) {
    std::lock_guard lock(peer->mutex);
    if (peer->phase == link_phase::up && peer->link && peer->pending_recvs.empty())
      links.push_back(peer->link);
    else
      all_up = false;
  }
  if (links.empty()) {
    std::unique_lock lock(waiter.mutex);
    waiter.ready.wait_for(lock, std::chrono::milliseconds(50), [&] { return waiter.signalled; });
    return;
  }
  std::vector<pollfd> fds;
  for (auto& l : links) {
    enter_reading(l);
    fds.push_back({l->fd(), POLLIN, 0});
  }
  bool ready = false;
  const auto spin_until = clock::now() + spin_bound();
  do {
    for (auto& l : links) impl_->pump(l);
    std::lock_guard lock(waiter.mutex);
    ready = waiter.signalled;
  } while (!ready && clock::now() < spin_until);
  // Peers without a link yet are looked at again soon; linked ones wake this thread directly.
  if (!ready) ::poll(fds.data(), fds.size(), all_up ? 100 : 20);
  for (auto& l : links) leave_reading(l);
}

void transport::consumed(peer_state& peer, std::int64_t bytes) {
  peer.unreturned_credit += bytes;
  peer.last_use = clock::now();
  if (peer.unreturned_credit >= window_bytes / 4 && peer.phase == link_phase::up) {
    write(peer, credit_frame(static_cast<std::uint64_t>(peer.unreturned_credit)));
    peer.unreturned_credit = 0;
  }
}

void transport::send_message(peer_state& peer, const detail::type_tag& type, std::string message) {
  if (peer.announced_types.insert(type.hash).second) write(peer, type_name_frame(type.hash, type.name));
  stamp_data_frame(message, message.size(), type.hash);
  peer.credit -= window_cost(message);
  peer.data_sent += static_cast<std::uint64_t>(window_cost(message));
  peer.last_use = clock::now();
  write(peer, std::move(message));
}

bool transport::send_in_place(peer_state& peer, std::unique_lock<std::mutex>& lock, const detail::type_tag& type,
                              detail::outgoing_message& message) {
  std::string type_frame;
  if (peer.announced_types.insert(type.hash).second) type_frame = type_name_frame(type.hash, type.name);
  stamp_data_frame(message.bytes, message.size(), type.hash);
  peer.credit -= window_cost(message.size());
  peer.data_sent += static_cast<std::uint64_t>(window_cost(message.size()));
  peer.last_use = clock::now();
  // Other writers queue their frames behind this message meanwhile.
  peer.writing = true;
  auto l = peer.link;
  lock.unlock();

  std::vector<iovec> parts;
  parts.reserve(2 * message.borrowed.size() + 2);
  auto add = [&](const char* data, std::size_t size) {
    if (size) parts.push_back({const_cast<char*>(data), size});  // sendmsg only reads
  };
  add(type_frame.data(), type_frame.size());
  std::size_t owned_at = 0;
  for (const auto& block : message.borrowed) {
    add(message.bytes.data() + owned_at, block.offset - owned_at);
    add(block.data, block.size);
    owned_at = block.offset;
  }
  add(message.bytes.data() + owned_at, message.bytes.size() - owned_at);
  const bool written = impl_->write_all(*l, parts);

  lock.lock();
  if (!written) {
    lock.unlock();
    impl_->link_lost(l);
    lock.lock();
    // Whoever saw the link end first says why the peer is gone.
    peer.changed.wait_for(lock, std::chrono::seconds(1), [&] { return peer.phase == link_phase::gone || peer.link != l; });
    return false;
  }
  if (peer.link == l) {
    peer.writing = false;
    if (!peer.outgoing.empty()) impl_->start_writing(peer);
  }
  peer.changed.notify_all();
  return true;
}

std::vector<std::move_only_function<void()>> transport::admit_pending_sends(peer_state& peer) {
  std::vector<std::move_only_function<void()>> done;
  while (peer.phase == link_phase::up && !peer.pending_sends.empty()) {
    auto& front = peer.pending_sends.front();
    if (!window_allows(peer, window_cost(front.message))) break;
    send_message(peer, front.type, std::move(front.message));
    done.push_back([f = std::move(front.done)]() mutable { f({}); });
    peer.pending_sends.pop_front();
  }
  return done;
}

void transport::deliver_before_exit() {
  static std::atomic<bool> delivered{false};
  if (delivered.exchange(true)) return;  // once: explicitly before exit(0), or from the exit handler
  std::vector<std::shared_ptr<peer_state>> peers;
  {
    std::lock_guard lock(impl_->peers_mutex_);
    for (auto& [remote, peer] : impl_->peers_) peers.push_back(peer);
  }
  for (auto& peer : peers) {
    std::lock_guard lock(peer->mutex);
    if ((peer->phase == link_phase::up || peer->phase == link_phase::closing) && !peer->goodbye_sent) {
      peer->goodbye_sent = true;
      write(*peer, counted_frame(frame_kind::goodbye, peer->data_received));
    }
  }
  const auto deadline = clock::now() + exit_delivery_bound;
  for (auto& peer : peers) {
    std::unique_lock lock(peer->mutex);
    if (!peer->goodbye_sent) continue;
    const bool confirmed = peer->changed.wait_until(lock, deadline, [&] {
      return peer->goodbye_acknowledged || peer->phase == link_phase::gone || peer->phase == link_phase::none;
    });
    // Only data counts: a peer that confirmed every byte we sent (or was sent nothing) is fine.
    if (peer->data_confirmed < peer->data_sent)
      std::fprintf(stderr, "constellation: %s exits without confirmation that %s received every message sent to it%s\n",
                   impl_->process_.self.to_string().c_str(), peer->remote.to_string().c_str(),
                   confirmed ? " (it ended first)" : " (no answer within 30 s)");
  }
  // Nothing may run on the transport's thread while static objects are destroyed.
  impl_->io_.stop();
  if (impl_->thread_.joinable() && impl_->thread_.get_id() != std::this_thread::get_id()) impl_->thread_.join();
}

}  // namespace constellation::channel
