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
  return ::send(l.fd(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
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

bool transport::impl::write_all(link& l, std::span<iovec> parts) {
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

}  // namespace constellation::channel
