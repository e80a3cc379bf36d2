// Reading a link, by the transport thread or by a user thread waiting on it: frames into
// messages for the peer's inbox, and the control frames.

#include "channel/transport_impl.hpp"

#include "channel/channel_frames.hpp"
#include "channel/local_socket.hpp"
#include "runtime/process_state.hpp"
#include "wire/frame.hpp"

#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace constellation::channel {

bool transport::impl::pump(const std::shared_ptr<link>& l, bool transport_thread, bool doorbell) {
  if (transport_thread) {
    auto state = l->read_state_.load();
    while (true) {
      const auto next =
          (state & link::readers_mask) ? state | link::skipped : state | link::transport_reading;
      if (l->read_state_.compare_exchange_weak(state, next)) break;
    }
    if (state & link::readers_mask) return false;  // left to the user thread reading it
    std::unique_lock read(l->read_mutex_);
    pump_locked(l, read, true, doorbell);
    l->read_state_.fetch_and(~link::transport_reading);
    return true;
  }
  std::unique_lock read(l->read_mutex_);
  pump_locked(l, read, false, doorbell);
  return true;
}

void transport::impl::pump_locked(const std::shared_ptr<link>& l,
                                  std::unique_lock<std::mutex>& read, bool transport_thread,
                                  bool doorbell) {
  // A ring link's end shows on its socket; what the peer put in the ring before it is still read.
  bool rang = false;
  bool lost = l->rings_ && doorbell && !drain_doorbell(*l, rang);
  while (true) {
    if (!read_available(l, transport_thread, lost)) return;
    // A user thread took a doorbell the transport thread may be armed for (the poller reports
    // only what is still unread): ask for the next one on its behalf, so that later input wakes
    // it, and read what came meanwhile.
    if (!rang || transport_thread || lost || l->closed_ || !input_before_sleep(*l)) break;
  }
  flush_arrived(l);
  read.unlock();
  // The transport thread waits for room in the ring: the doorbell that says so may have been
  // taken here.
  if (l->rings_ && l->write_blocked_ && l->rings_->out().room() > 0 &&
      l->write_blocked_.exchange(false))
    asio::post(io_, [this, l] { write_batch(l); });
  if (lost) link_lost(l);
}

bool transport::impl::read_available(const std::shared_ptr<link>& l, bool transport_thread,
                                     bool& lost) {
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
      if (l->input_.size() < l->input_used_ + 64 * 1024)
        l->input_.resize(l->input_used_ + 64 * 1024);
      into = l->input_.data() + l->input_used_;
      room = l->input_.size() - l->input_used_;
    }
    const ssize_t n = read_input(*l, into, room);
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
      if (!parse_input(l)) return false;
    }
    // A short read emptied the socket: more data will wake a poll or the transport thread.
    if (static_cast<std::size_t>(n) < room && !l->rings_) break;
  }
  return true;
}

ssize_t transport::impl::read_input(link& l, char* into, std::size_t room) {
  if (l.rings_ && l.adopted_) {
    const std::size_t n = l.rings_->in().read_some(into, room);
    if (n == 0) {
      errno = EAGAIN;
      return -1;
    }
    if (l.rings_->in().producer_needs_wake()) ring_doorbell(l);
    return static_cast<ssize_t>(n);
  }
  // A local link's verdict may bring the rings' descriptor.
  if (l.local_ && !l.adopted_) return receive_with_descriptor(l.fd(), into, room, l.passed_fd_);
  return ::recv(l.fd(), into, room, MSG_DONTWAIT);
}

bool transport::impl::drain_doorbell(link& l, bool& rang) {
  char rings[256];
  while (true) {
    const ssize_t n = ::recv(l.fd(), rings, sizeof rings, MSG_DONTWAIT);
    if (n > 0) {
      rang = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

bool transport::impl::input_before_sleep(link& l) {
  return l.rings_ && l.adopted_ && l.rings_->in().consumer_sleeps_unless_available();
}

bool transport::impl::parse_input(const std::shared_ptr<link>& l) {
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
      if (l->adopted_ && rest.size() >= wire::frame_header_size &&
          rest[4] == static_cast<char>(frame_kind::data)) {
        std::uint32_t length = 0;
        for (int i = 3; i >= 0; --i)
          length = (length << 8) | static_cast<unsigned char>(rest[static_cast<std::size_t>(i)]);
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
    const bool verdict = !l->adopted_;
    if (!handle_frame(l, type, payload)) break;
    if (verdict && l->rings_) {
      // From here on the peer's frames come through the ring; its socket carries doorbells only.
      consumed = l->input_used_;
      break;
    }
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

bool transport::impl::finish_large(const std::shared_ptr<link>& l) {
  std::string_view payload(l->large_.data() + wire::frame_header_size,
                           l->large_.size() - wire::frame_header_size);
  auto hash = read_u64(payload);
  if (!hash) return false;
  l->arrived_.push_back(
      detail::received_message{*hash, std::move(l->large_), wire::frame_header_size + 8});
  l->large_.clear();
  l->large_filled_ = 0;
  return true;
}

void transport::impl::flush_arrived(const std::shared_ptr<link>& l) {
  if (l->arrived_.empty()) return;
  auto& peer = *l->peer_;
  std::vector<
      std::pair<std::move_only_function<void(boost::system::error_code, detail::received_message)>,
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

bool transport::impl::handle_frame(const std::shared_ptr<link>& l, std::uint8_t type,
                                   std::string_view payload) {
  if (!l->adopted_) {
    // Client side: the first frame is the verdict.
    std::unique_lock lock(l->peer_->mutex);
    auto& peer = *l->peer_;
    if (type == static_cast<std::uint8_t>(frame_kind::link_accepted) &&
        peer.attempt == l->attempt_ && peer.phase == link_phase::connecting) {
      if (l->passed_fd_) {
        // A local link: its frames go through the rings the accepting side made. Without them
        // (it could not make them) the Unix socket carries the frames as TCP would.
        std::string error;
        l->rings_ = shm_link::attach(l->passed_fd_.get(), error);
        l->passed_fd_.reset();
        if (!l->rings_) {
          // Take the peer's TCP port next time.
          peer.local_refused = true;
          peer.local_refused_since = clock::now() - local_retry_bound;
          CHANNEL_TRACE("%s: the rings from %s are refused: %s", process_.self.to_string().c_str(),
                        peer.remote.to_string().c_str(), error.c_str());
          lock.unlock();
          link_lost(l);
          return false;
        }
      }
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
        if (p->phase == link_phase::none && (p->sender_open || p->receiver_open))
          self_.want_link(*p);
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
      // The query says what the asking side has received. Data of ours still on its way there
      // keeps the link: what an exit of ours waits to see confirmed is then confirmed by its
      // goodbye's answer, which a closed link would never carry.
      peer.data_confirmed = std::max(peer.data_confirmed, read_u64(payload).value_or(0));
      if ((peer.phase == link_phase::up || peer.phase == link_phase::closing) && link_idle(peer) &&
          peer.data_confirmed >= peer.data_sent) {
        // Our answer confirms what the asking side sent: its goodbye, if it is exiting and the
        // goodbye follows the query, will find the link closed and get no answer of its own.
        self_.write(peer, counted_frame(frame_kind::idle_ok, peer.data_received));
        retire_link(peer, lock);
      } else {
        self_.write(peer, signal_frame(frame_kind::idle_busy));
      }
      return !l->closed_;
    }
    case frame_kind::idle_ok: {
      std::unique_lock lock(peer.mutex);
      peer.data_confirmed = std::max(peer.data_confirmed, read_u64(payload).value_or(0));
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

}  // namespace constellation::channel
