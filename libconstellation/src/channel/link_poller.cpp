// The transport thread's watch over links that are up: an epoll set of its own, each link armed
// one-shot, so that a link a user thread reads itself wakes nobody else.

#include "channel/transport_impl.hpp"

#include <boost/asio/post.hpp>

#include <sys/epoll.h>

namespace constellation::channel {

bool transport::impl::own_socket(const std::shared_ptr<link>& l) {
  boost::system::error_code ec;
  const int fd = l->socket_.release(ec);
  if (ec) return false;
  l->fd_.reset(fd);
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

void transport::impl::forget(std::uint64_t watch_id) {
  std::shared_ptr<link> last;  // let go of outside the lock
  std::lock_guard lock(watched_mutex_);
  if (auto it = watched_.find(watch_id); it != watched_.end()) {
    last = std::move(it->second);
    watched_.erase(it);
  }
}

void transport::impl::start_reading(const std::shared_ptr<link>& l) {
  std::lock_guard read(l->read_mutex_);
  parse_input(l);  // the bytes that followed the handshake
}

void transport::impl::rearm(link& l) {
  if (!l.fd_ || l.closed_) return;
  const std::uint32_t wanted =
      (l.read_left_to_user_ ? 0u : EPOLLIN | EPOLLRDHUP) | (l.want_write_ ? EPOLLOUT : 0u);
  // Wanting nothing, the link stays disarmed since its last event: arming it for nothing would
  // still report a hang-up at once, again and again.
  if (!wanted) return;
  epoll_event event{};
  event.events = EPOLLONESHOT | wanted;
  event.data.u64 = l.watch_id_;
  ::epoll_ctl(poller_fd_, EPOLL_CTL_MOD, l.fd_.get(), &event);
  // A ring link wakes the poller by its doorbell only when asked to; input that came before the
  // asking is read now.
  if ((wanted & EPOLLIN) && input_before_sleep(l))
    asio::post(io_, [this, id = l.watch_id_] { on_ready(id, EPOLLIN); });
}

void transport::impl::watch_poller() {
  poller_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
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

void transport::impl::on_ready(std::uint64_t watch_id, std::uint32_t events) {
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
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) && !l->read_left_to_user_ &&
      !pump(l, true)) {
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

}  // namespace constellation::channel
