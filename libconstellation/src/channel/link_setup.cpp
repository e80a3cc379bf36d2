// Making links: connecting to a peer or accepting one, the authenticating handshake, and the
// verdict that keeps one link per pair of processes when both open at once.

#include "channel/transport_impl.hpp"

#include "agent/tcp_tuning.hpp"
#include "channel/channel_frames.hpp"
#include "channel/local_socket.hpp"
#include "process/descriptor_passing.hpp"
#include "runtime/pid_access.hpp"
#include "runtime/process_state.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <tuple>

namespace constellation::channel {

std::chrono::milliseconds link_setup_bound() {
  static const std::chrono::milliseconds bound = [] {
    const char* v = std::getenv("CONSTELLATION_LINK_SETUP_BOUND_MS");
    char* end = nullptr;
    const long long ms = v ? std::strtoll(v, &end, 10) : 0;
    if (v && end != v && *end == '\0' && ms > 0) return std::chrono::milliseconds(ms);
    return std::chrono::milliseconds(std::chrono::seconds(5));
  }();
  return bound;
}

std::string describe_bound(std::chrono::milliseconds bound) {
  if (bound.count() % 1000 == 0) return std::to_string(bound.count() / 1000) + " s";
  return std::to_string(bound.count()) + " ms";
}

bool transport::impl::local_to(const peer_state& peer) const {
  if (!local_acceptor_.is_open()) return false;  // rings are off here, or no local socket
  if (detail::pid_access::ipv4(peer.remote) != detail::pid_access::ipv4(process_.self))
    return false;
  return !peer.local_refused || clock::now() - peer.local_refused_since < local_retry_bound;
}

void transport::impl::connect(std::shared_ptr<peer_state> peer, std::uint64_t attempt) {
  const auto& remote = peer->remote;
  bool local;
  {
    std::lock_guard lock(peer->mutex);
    local = local_to(*peer);
  }
  stream_socket::endpoint_type endpoint;
  if (local) {
    socklen_t length = 0;
    const auto address = local_address(remote, length);
    endpoint = stream_socket::endpoint_type(&address, length);
  } else {
    endpoint = tcp::endpoint(asio::ip::address_v4(detail::pid_access::ipv4(remote)),
                             detail::pid_access::port(remote));
  }
  auto l = std::make_shared<link>(*this, stream_socket(io_), local);
  l->peer_ = peer;
  l->attempt_ = attempt;
  l->outgoing_ = true;
  bound_setup(l);
  l->socket_.async_connect(endpoint, [this, l](const boost::system::error_code& ec) {
    if (l->closed_) return;  // the setup bound passed
    if (ec) {
      close_socket(*l);
      if (l->local_ && (ec == asio::error::connection_refused || ec == asio::error::not_found))
        return local_refused(l->peer_, l->attempt_);
      return connect_failed(l->peer_, l->attempt_, "cannot connect: " + ec.message());
    }
    if (!l->local_) agent::tune_tcp(l->socket_.native_handle());
    l->client_.emplace(process_.job_secret, handshake_purpose, identity_of(process_.self));
    if (!send_now(*l, l->client_->start()))
      return handshake_failed(l, "could not send the handshake", false);
    read_handshake(l);
  });
}

void transport::impl::bound_setup(const std::shared_ptr<link>& fresh) {
  fresh->setup_deadline_.expires_after(link_setup_bound());
  fresh->setup_deadline_.async_wait([this, weak = std::weak_ptr<link>(fresh)](
                                        const boost::system::error_code& ec) {
    auto l = weak.lock();
    if (ec || !l || l->adopted_ || l->closed_) return;
    const auto bound = describe_bound(link_setup_bound());
    CHANNEL_TRACE("%s: a link %s %s was not up within %s", process_.self.to_string().c_str(),
                  l->outgoing_ ? "to" : "from",
                  l->peer_ ? l->peer_->remote.to_string().c_str() : "a new peer", bound.c_str());
    handshake_failed(l, "no answer within " + bound, false, true);
    boost::system::error_code ignored;
    l->socket_.cancel(ignored);  // a connection still being made ends now
  });
}

void transport::impl::connect_failed(const std::shared_ptr<peer_state>& peer, std::uint64_t attempt,
                                     const std::string& why, bool unanswered) {
  auto status = process_.control->peer_status(peer->remote);
  CHANNEL_TRACE("%s: connect to %s failed (%s), status %d", process_.self.to_string().c_str(),
                peer->remote.to_string().c_str(), why.c_str(), static_cast<int>(status));
  std::unique_lock lock(peer->mutex);
  if (peer->attempt != attempt || peer->phase != link_phase::connecting) return;
  if (status == wire::peer_status::alive && unanswered) {
    // Alive, and its kernel took the connection, but the process never answered: it is stopped
    // or hung. Trying again would keep the channel waiting for as long as that lasts, which may
    // be for ever; the caller is told instead, and a channel opened later tries anew.
    mark_gone(
        *peer, lock, channel_errc::unresponsive,
        peer->remote.to_string() + " did not answer the channel handshake within " +
            describe_bound(link_setup_bound()) +
            ", though its node says it lives: it may be stopped (SIGSTOP, a debugger) or hung");
    return;
  }
  if (status == wire::peer_status::alive) {
    // Alive but refusing: a transient failure. Try again shortly.
    peer->phase = link_phase::none;
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
    timer->async_wait([this, peer, timer](const boost::system::error_code&) {
      std::lock_guard again(peer->mutex);
      if (peer->phase == link_phase::none && (peer->sender_open || peer->receiver_open))
        self_.want_link(*peer);
    });
    return;
  }
  const bool exited = status == wire::peer_status::exited;
  mark_gone(*peer, lock, exited ? channel_errc::exited : channel_errc::died,
            peer->remote.to_string() + (exited ? " has exited"
                                        : status == wire::peer_status::died
                                            ? " has died"
                                            : " is not a process of this job (" + why + ")"));
}

void transport::impl::local_refused(const std::shared_ptr<peer_state>& peer,
                                    std::uint64_t attempt) {
  std::lock_guard lock(peer->mutex);
  if (peer->attempt != attempt || peer->phase != link_phase::connecting) return;
  const auto now = clock::now();
  if (!peer->local_refused) {
    peer->local_refused = true;
    peer->local_refused_since = now;
  }
  CHANNEL_TRACE("%s: local link to %s refused%s", process_.self.to_string().c_str(),
                peer->remote.to_string().c_str(),
                local_to(*peer) ? ", trying again" : ", taking TCP");
  peer->phase = link_phase::none;
  auto timer = std::make_shared<asio::steady_timer>(io_, local_retry_interval);
  timer->async_wait([this, peer, timer](const boost::system::error_code&) {
    std::lock_guard again(peer->mutex);
    if (peer->phase == link_phase::none && (peer->sender_open || peer->receiver_open))
      self_.want_link(*peer);
  });
}

void transport::impl::accept_next(acceptor& from, bool local) {
  from.async_accept(
      [this, &from, local](const boost::system::error_code& ec, stream_socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          auto l = std::make_shared<link>(*this, std::move(socket), local);
          if (!local) agent::tune_tcp(l->socket_.native_handle());
          bound_setup(l);
          l->server_.emplace(process_.job_secret, handshake_purpose, identity_of(process_.self));
          admit_unproven(l);
          read_handshake(l);
        }
        accept_next(from, local);
      });
}

void transport::impl::admit_unproven(const std::shared_ptr<link>& l) {
  auto& waiting = unproven_[l->local_ ? 1 : 0];
  std::erase_if(waiting, [](const std::weak_ptr<link>& w) {
    auto other = w.lock();
    return !other || other->closed_ || other->adopted_ || other->server_->done();
  });
  if (waiting.size() >= max_unproven_connections) {
    if (auto oldest = waiting.front().lock()) {
      CHANNEL_TRACE("%s: %zu connections have not proved the secret: closing the oldest",
                    process_.self.to_string().c_str(), waiting.size());
      close_socket(*oldest);
    }
    waiting.pop_front();
  }
  waiting.push_back(l);
}

void transport::impl::read_handshake(const std::shared_ptr<link>& l) {
  // Sized for the handshake: a link that is up reads with a larger buffer (link_reading.cpp).
  if (l->input_.size() < l->input_used_ + handshake_read_room)
    l->input_.resize(l->input_used_ + handshake_read_room);
  l->socket_.async_read_some(
      asio::buffer(l->input_.data() + l->input_used_, l->input_.size() - l->input_used_),
      [this, l](const boost::system::error_code& ec, std::size_t n) {
        if (l->closed_) return;  // the setup bound passed
        if (ec)
          return handshake_failed(l, "connection lost during the handshake: " + ec.message(),
                                  false);
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

void transport::impl::handshake_failed(const std::shared_ptr<link>& l, const std::string& why,
                                       bool authentication, bool unanswered) {
  close_socket(*l);
  if (!l->outgoing_) return;  // a stranger at our door: just close
  if (authentication) {
    std::unique_lock lock(l->peer_->mutex);
    if (l->peer_->attempt == l->attempt_ && l->peer_->phase == link_phase::connecting)
      mark_gone(
          *l->peer_, lock, channel_errc::unauthenticated,
          l->peer_->remote.to_string() + " did not prove it belongs to this job (" + why + ")");
    return;
  }
  connect_failed(l->peer_, l->attempt_, why, unanswered);
}

void transport::impl::decide(const std::shared_ptr<link>& l) {
  auto remote = pid_from_identity(l->server_->peer_identity());
  if (!remote) {
    close_socket(*l);
    return;
  }
  auto peer = peer_for(*remote);
  std::unique_lock lock(peer->mutex);
  const bool ours_wins = peer->phase == link_phase::up ||
                         (peer->phase == link_phase::connecting && process_.self < *remote);
  // A peer given up as unresponsive that now completes a handshake has come back (continued
  // after a stop): its link is taken. Any other gone peer has ended.
  const bool ended =
      peer->phase == link_phase::gone && peer->gone_reason != channel_errc::unresponsive;
  CHANNEL_TRACE("%s: link from %s: %s (phase %d)", process_.self.to_string().c_str(),
                remote->to_string().c_str(), ended || ours_wins ? "rejected" : "accepted",
                static_cast<int>(peer->phase));
  if (ended || ours_wins) {
    lock.unlock();
    auto verdict = std::make_shared<std::string>(signal_frame(frame_kind::link_rejected));
    asio::async_write(
        l->socket_, asio::buffer(*verdict),
        [this, l, verdict](const boost::system::error_code&, std::size_t) { close_socket(*l); });
    return;
  }
  // A local link's frames go through rings made here, handed over with the verdict. If they
  // cannot be made, the Unix socket carries the frames itself.
  posix::unique_fd rings_fd;
  if (l->local_) {
    std::string error;
    std::tie(l->rings_, rings_fd) = shm_link::create(ring_capacity, error);
    if (!l->rings_)
      CHANNEL_TRACE("%s: no rings for %s: %s", process_.self.to_string().c_str(),
                    remote->to_string().c_str(), error.c_str());
  }
  // Written before adoption, so that no message can overtake it.
  const auto verdict = signal_frame(frame_kind::link_accepted);
  const bool owned = own_socket(l);
  const int rings = rings_fd.get();
  const bool sent = owned && (rings_fd ? process::send_record(l->fd(), verdict, {&rings, 1}) == 0
                                       : send_now(*l, verdict));
  rings_fd.reset();  // sent or not: this side's mapping keeps the rings
  if (!sent) {
    // The remote is gone between its proof and our verdict (or we cannot watch the link). Our
    // own attempt, if one is under way, goes on and finds out how the remote ended; superseded,
    // it would leave the peer connecting with nothing left to end that, and a send waiting on it
    // for ever.
    lock.unlock();
    close_socket(*l);
    return;
  }
  ++peer->attempt;  // our own attempt, if any, is superseded by this link
  adopt(l, peer, lock);
  start_reading(l);
}

void transport::impl::adopt(const std::shared_ptr<link>& l, const std::shared_ptr<peer_state>& peer,
                            std::unique_lock<std::mutex>& lock) {
  CHANNEL_TRACE("%s: link to %s up (%s, %s)", process_.self.to_string().c_str(),
                peer->remote.to_string().c_str(), l->outgoing_ ? "ours" : "theirs",
                l->rings_   ? "shared memory"
                : l->local_ ? "unix socket"
                            : "tcp");
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
  // Set up while the process exits: the goodbye it owes this peer follows whatever was queued.
  if (exiting_) self_.say_goodbye(*peer);
  // The poller watches the link's socket from now on; on a ring link it is woken only when it
  // asks for the doorbell.
  if (l->rings_ && input_before_sleep(*l))
    asio::post(io_, [this, id = l->watch_id_] { on_ready(id, EPOLLIN); });
  lock.unlock();
  for (auto& c : completions) c();
}

}  // namespace constellation::channel
