#include "channel/transport_impl.hpp"

#include "channel/channel_frames.hpp"
#include "channel/local_socket.hpp"
#include "runtime/process_state.hpp"

#include <boost/asio/post.hpp>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <stdexcept>
#include <system_error>

namespace constellation::channel {

transport::impl::impl(transport& self, runtime::process_state& process)
    : self_(self),
      process_(process),
      acceptor_(io_),
      local_acceptor_(io_),
      idle_timer_(io_),
      poller_(io_) {
  poller_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (poller_fd_ < 0)
    throw std::system_error(errno, std::generic_category(),
                            "constellation: epoll_create1 for the channel transport");
  poller_.assign(poller_fd_);
  watch_poller();
  if (process_.listener_fd >= 0) {
    acceptor_.assign(asio::generic::stream_protocol(AF_INET, IPPROTO_TCP), process_.listener_fd);
    process_.listener_fd = -1;
    accept_next(acceptor_, false);
  }
  if (shared_memory_enabled()) {
    std::string error;
    if (auto fd = listen_locally(process_.self, error)) {
      local_acceptor_.assign(asio::generic::stream_protocol(AF_UNIX, 0), fd.get());
      fd.release();  // the acceptor's now
      accept_next(local_acceptor_, true);
    } else {
      CHANNEL_TRACE("%s: links stay on TCP: %s", process_.self.to_string().c_str(), error.c_str());
    }
  }
  check_idle_links();
}

std::shared_ptr<peer_state> transport::impl::peer_for(const pid& remote) {
  std::lock_guard lock(peers_mutex_);
  auto& slot = peers_[remote];
  if (!slot) slot = std::make_shared<peer_state>(remote);
  return slot;
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
    if (auto* running = the_transport.load(std::memory_order_acquire))
      running->deliver_before_exit();
  });
}

transport& transport::get(const char* call) {
  if (auto* t = the_transport.load(std::memory_order_acquire)) return *t;
  throw std::logic_error(
      std::string(call) +
      " used before constellation::init(): call init() as the first statement of main()");
}

void transport::keep_links_on_tcp() {
  std::promise<void> done;
  asio::post(impl_->io_, [&] {
    boost::system::error_code ignored;
    impl_->local_acceptor_.close(ignored);
    done.set_value();
  });
  done.get_future().wait();
}

void transport::run_after(std::chrono::steady_clock::duration delay, std::function<void()> f) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io_, delay);
  timer->async_wait([timer, f = std::move(f)](const boost::system::error_code& ec) {
    if (!ec) f();
  });
}

std::shared_ptr<peer_state> transport::open(pid remote, bool sending) {
  if (remote == impl_->process_.self)
    throw std::logic_error(
        std::string(sending ? "constellation::sender" : "constellation::receiver") +
        ": a channel to this process's own pid " + remote.to_string() + " is not allowed");
  if (!remote) throw std::logic_error("constellation: a channel needs a pid, not the null pid");
  auto peer = impl_->peer_for(remote);
  std::lock_guard lock(peer->mutex);
  bool& open_flag = sending ? peer->sender_open : peer->receiver_open;
  if (open_flag)
    throw std::logic_error(
        std::string(sending ? "constellation::sender" : "constellation::receiver") + " to " +
        remote.to_string() + ": this process already has a live " +
        (sending ? "sender to" : "receiver from") +
        " that pid; keep one per peer (move it where it is needed)");
  open_flag = true;
  peer->last_use = clock::now();
  // A peer that did not answer may answer now: a new channel end tries again. Every other way of
  // being gone is final.
  if (peer->phase == link_phase::gone && peer->gone_reason == channel_errc::unresponsive)
    peer->phase = link_phase::none;
  want_link(*peer);
  return peer;
}

void transport::close(peer_state& peer, bool sending) {
  std::lock_guard lock(peer.mutex);
  (sending ? peer.sender_open : peer.receiver_open) = false;
  peer.last_use = clock::now();
}

void transport::want_link(peer_state& peer) {
  // Exiting, no link is opened: the peer could accept it after this process is gone, and would
  // then take the end of a link without a goodbye for a death.
  if (peer.phase != link_phase::none || impl_->exiting_) return;
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
  if (peer.link->rings_) {
    // Copying into the ring costs no system call: no batching to wait for.
    if (!peer.writing && peer.outgoing.empty()) {
      const iovec part{frame.data(), frame.size()};
      const ssize_t n = impl_->write_some(*peer.link, {&part, 1});
      if (n == static_cast<ssize_t>(frame.size())) return;
      if (n > 0) peer.outgoing_written = static_cast<std::size_t>(n);
    }
    peer.outgoing.push_back(std::move(frame));
    if (!peer.writing) impl_->start_writing(peer);
    return;
  }
  const auto now = clock::now();
  if (!peer.writing && peer.outgoing.empty() && now - peer.last_direct_write >= batching_interval) {
    peer.last_direct_write = now;
    ssize_t n = ::send(peer.link->fd(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(frame.size())) return;
    if (n > 0)
      peer.outgoing_written = static_cast<std::size_t>(n);  // the transport thread writes the rest
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

void transport::wait_for_peer(peer_state& peer, std::unique_lock<std::mutex>& lock,
                              clock::time_point deadline) {
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
  const bool ring = l->rings_ != nullptr;
  const auto started = clock::now();
  auto spin_until = started + spin_bound();
  std::size_t large_filled = l->large_filled_;
  while (true) {
    {
      std::lock_guard check(peer.mutex);
      if (!peer.inbox.empty()) spin_policy::record(clock::now() - started);
      if (!peer.inbox.empty() || peer.phase != link_phase::up || peer.link != l) break;
    }
    const auto now = clock::now();
    if (now >= deadline) break;
    if (now < spin_until) {
      impl_->pump(l, false, !ring);
      // A large message still coming through the ring: keep spinning while it moves.
      if (ring && l->large_filled_ != large_filled) {
        large_filled = l->large_filled_;
        spin_until = clock::now() + spin_bound();
      }
      continue;
    }
    if (impl::input_before_sleep(*l)) {
      impl_->pump(l);
      continue;
    }
    // poll() is level-triggered: data that came before this thread began to watch wakes it too.
    // Bounded, so that a change that does not show on the socket is seen within 100 ms.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    pollfd readable{l->fd(), POLLIN, 0};
    const bool woken = ::poll(&readable, 1, static_cast<int>(std::min<long long>(left, 100))) > 0;
    impl_->pump(l);
    // Woken by the peer, it is likely to answer again soon; a timeout spins no more.
    if (woken) spin_until = clock::now() + spin_bound();
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
    for (auto& l : links) impl_->pump(l, false, l->rings_ == nullptr);
    std::lock_guard lock(waiter.mutex);
    ready = waiter.signalled;
  } while (!ready && clock::now() < spin_until);
  for (auto& l : links) {
    if (!ready && impl::input_before_sleep(*l)) ready = true;
  }
  // Peers without a link yet are looked at again soon; linked ones wake this thread directly.
  if (!ready) ::poll(fds.data(), fds.size(), all_up ? 100 : 20);
  for (auto& l : links) impl_->pump(l);
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
  if (peer.announced_types.insert(type.hash).second)
    write(peer, type_name_frame(type.hash, type.name));
  stamp_data_frame(message, message.size(), type.hash);
  peer.credit -= window_cost(message);
  peer.data_sent += static_cast<std::uint64_t>(window_cost(message));
  peer.last_use = clock::now();
  write(peer, std::move(message));
}

bool transport::wait_for_ring_room(peer_state& peer, std::unique_lock<std::mutex>& lock,
                                   std::size_t bytes) {
  auto l = peer.link;
  if (!l || !l->rings_ || peer.writing || !peer.outgoing.empty()) return false;
  auto& ring = l->rings_->out();
  if (ring.room() >= std::min(bytes, ring.capacity())) return false;
  lock.unlock();
  const auto spin_until = clock::now() + spin_bound();
  while (ring.room() < std::min(bytes, ring.capacity()) && !l->closed_ &&
         clock::now() < spin_until) {
  }
  lock.lock();
  return true;
}

bool transport::send_in_place(peer_state& peer, std::unique_lock<std::mutex>& lock,
                              const detail::type_tag& type, detail::outgoing_message& message) {
  std::string type_frame;
  if (peer.announced_types.insert(type.hash).second)
    type_frame = type_name_frame(type.hash, type.name);
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
    peer.changed.wait_for(lock, std::chrono::seconds(1),
                          [&] { return peer.phase == link_phase::gone || peer.link != l; });
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

void transport::say_goodbye(peer_state& peer) {
  peer.goodbye_sent = true;
  peer.goodbye_acknowledged = false;
  write(peer, counted_frame(frame_kind::goodbye, peer.data_received));
}

void transport::deliver_before_exit() {
  static std::atomic<bool> delivered{false};
  if (delivered.exchange(true))
    return;  // once: explicitly before exit(0), or from the exit handler
  impl_->exiting_ = true;
  const auto all_peers = [this] {
    std::vector<std::shared_ptr<peer_state>> peers;
    std::lock_guard lock(impl_->peers_mutex_);
    for (auto& [remote, peer] : impl_->peers_) peers.push_back(peer);
    return peers;
  };
  for (auto& peer : all_peers()) {
    std::lock_guard lock(peer->mutex);
    if ((peer->phase == link_phase::up || peer->phase == link_phase::closing) &&
        !peer->goodbye_sent)
      say_goodbye(*peer);
  }
  // A link being set up may be up at the peer already, its verdict on the way: it is waited for,
  // and told goodbye once up (adopt). So is a link that came up meanwhile from a peer's side,
  // whose peer state may be new: hence the peers are looked at again until none is waited for.
  const auto settled = [](const peer_state& peer) {
    if (peer.phase == link_phase::connecting) return false;
    return !peer.goodbye_sent || peer.goodbye_acknowledged || peer.phase == link_phase::gone ||
           peer.phase == link_phase::none;
  };
  const auto deadline = clock::now() + exit_delivery_bound;
  std::vector<std::shared_ptr<peer_state>> peers;
  for (bool waited = true; waited && clock::now() < deadline;) {
    waited = false;
    peers = all_peers();
    for (auto& peer : peers) {
      std::unique_lock lock(peer->mutex);
      if (settled(*peer)) continue;
      waited = true;
      peer->changed.wait_until(lock, deadline, [&] { return settled(*peer); });
    }
  }
  for (auto& peer : peers) {
    std::lock_guard lock(peer->mutex);
    // Only data counts: a peer that confirmed every byte we sent (or was sent nothing) is fine.
    if (peer->goodbye_sent && peer->data_confirmed < peer->data_sent)
      std::fprintf(stderr,
                   "constellation: %s exits without confirmation that %s received every message "
                   "sent to it%s\n",
                   impl_->process_.self.to_string().c_str(), peer->remote.to_string().c_str(),
                   settled(*peer) ? " (it ended first)" : " (no answer within 30 s)");
  }
  // Nothing may run on the transport's thread while static objects are destroyed.
  impl_->io_.stop();
  if (impl_->thread_.joinable() && impl_->thread_.get_id() != std::this_thread::get_id())
    impl_->thread_.join();
}

}  // namespace constellation::channel
