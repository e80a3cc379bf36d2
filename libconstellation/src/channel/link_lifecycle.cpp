// How links end: lost (the peer exited or died), retired when idle, or closed by this side.

#include "channel/transport_impl.hpp"

#include "channel/channel_frames.hpp"
#include "runtime/control_client.hpp"
#include "runtime/process_state.hpp"

#include <sys/socket.h>

namespace constellation::channel {

void transport::impl::link_lost(const std::shared_ptr<link>& l) {
  if (!close_socket(*l)) return;
  if (!l->adopted_ && l->outgoing_)
    return connect_failed(l->peer_, l->attempt_, "the link was closed before it was accepted");
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
  CHANNEL_TRACE("%s: link to %s lost (%s), %zu waiting", process_.self.to_string().c_str(),
                peer.remote.to_string().c_str(), exited ? "after goodbye" : "no goodbye",
                peer.inbox.size());
  mark_gone(
      peer, lock, exited ? channel_errc::exited : channel_errc::died,
      peer.remote.to_string() + (exited ? " has exited" : " has died (its connection was lost)"));
}

void transport::impl::mark_gone(peer_state& peer, std::unique_lock<std::mutex>& lock,
                                channel_errc reason, std::string message) {
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

void transport::impl::retire_link(peer_state& peer, std::unique_lock<std::mutex>&) {
  if (peer.link) close_socket(*peer.link);
  peer.link.reset();
  peer.phase = link_phase::none;
  peer.changed.notify_all();
}

void transport::impl::check_idle_links() {
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
      if (peer->phase == link_phase::up && link_idle(*peer) &&
          now - peer->last_use >= idle_link_age && process_.self < peer->remote) {
        // One side asks, so that the two never ask each other at once.
        peer->phase = link_phase::closing;
        self_.write(*peer, counted_frame(frame_kind::idle_query, peer->data_received));
      }
    }
    check_idle_links();
  });
}

bool transport::impl::close_socket(link& l) {
  if (l.closed_.exchange(true)) return false;
  ::shutdown(l.fd(), SHUT_RDWR);
  if (l.watch_id_) forget(l.watch_id_);  // last: it may let go of l
  return true;
}

}  // namespace constellation::channel
