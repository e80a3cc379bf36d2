// Writing to a link: the transport thread's batches of queued frames, and the whole-message
// writes of user threads.

#include "channel/transport_impl.hpp"

#include <boost/asio/post.hpp>

#include <limits.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace constellation::channel {

bool transport::impl::send_now(link& l, const std::string& bytes) {
  return ::send(l.fd(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

void transport::impl::start_writing(peer_state& peer) {
  peer.writing = true;
  asio::post(io_, [this, l = peer.link] {
    if (l) write_batch(l);
  });
}

void transport::impl::write_batch(const std::shared_ptr<link>& l) {
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
    const ssize_t n = write_some(*l, parts);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (l->rings_) {
        // The reader's doorbell says when room comes; whoever takes it hands writing back here.
        l->write_blocked_ = true;
        if (l->rings_->out().producer_sleeps_unless_room() && l->write_blocked_.exchange(false))
          continue;
        return;
      }
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

ssize_t transport::impl::write_some(link& l, std::span<const iovec> parts) {
  if (!l.rings_) {
    msghdr message{};
    message.msg_iov = const_cast<iovec*>(parts.data());  // sendmsg only reads
    message.msg_iovlen = std::min<std::size_t>(parts.size(), IOV_MAX);
    return ::sendmsg(l.fd(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  auto& ring = l.rings_->out();
  std::size_t written = 0;
  for (const auto& part : parts) {
    const std::size_t n = ring.write_some(part.iov_base, part.iov_len);
    written += n;
    if (n < part.iov_len) break;
  }
  if (written == 0) {
    errno = EAGAIN;
    return -1;
  }
  if (ring.consumer_needs_wake()) ring_doorbell(l);
  return static_cast<ssize_t>(written);
}

void transport::impl::ring_doorbell(link& l) {
  // A full socket buffer means the peer has doorbells enough to wake it.
  const char bell = 0;
  (void)!::send(l.fd(), &bell, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool transport::impl::write_all(link& l, std::span<iovec> parts) {
  const int fd = l.fd();
  auto spin_until = clock::now() + spin_bound();
  while (!parts.empty()) {
    if (l.closed_) return false;
    const ssize_t n = write_some(l, parts);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (l.rings_) {
        // The reader is most likely copying out right now: wait for room in a busy loop first.
        if (clock::now() < spin_until) continue;
        if (l.rings_->out().producer_sleeps_unless_room()) continue;
        // The doorbell for room shares the socket with the one for input, and the thread reading
        // the link may take it first: sleep a millisecond at most, then look at the ring again.
        pollfd readable{fd, POLLIN, 0};
        ::poll(&readable, 1, 1);
        spin_until = clock::now() + spin_bound();
        continue;
      }
      // Bounded, so that a link closed without a sign on the socket is noticed.
      pollfd writable{fd, POLLOUT, 0};
      ::poll(&writable, 1, 100);
      continue;
    }
    if (n < 0) return false;
    if (l.rings_) spin_until = clock::now() + spin_bound();
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

}  // namespace constellation::channel
