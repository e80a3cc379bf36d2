#include "stdin_forwarder.hpp"

#include "posix/unique_fd.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace constellation::deploy {

namespace asio = boost::asio;

namespace {

class reader final : public stdin_forwarder, public std::enable_shared_from_this<reader> {
 public:
  reader(asio::io_context& io, data_handler on_data, end_handler on_end)
      : io_(io), descriptor_(io), on_data_(std::move(on_data)), on_end_(std::move(on_end)) {}

  ~reader() override { restore(); }

  void begin(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return end({});  // no stdin at all: an empty one
    posix::unique_fd own;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
      const std::string path = "/proc/self/fd/" + std::to_string(fd);
      own.reset(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    }
    if (!own) {
      // A socket, or no /proc: share the open file, and put its flags back when done.
      own.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
      if (!own) return end(std::string("cannot read stdin: ") + std::strerror(errno));
      shared_flags_ = ::fcntl(own.get(), F_GETFL);
      shared_fd_ = own.get();
    }
    boost::system::error_code ec;
    descriptor_.assign(own.get(), ec);
    if (ec) return end(std::string("cannot read stdin: ") + ec.message());
    const int reading = own.release();  // descriptor_'s now
    // epoll refuses regular files and some devices: they never make a read wait.
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || !pollable()) {
      ::fcntl(reading, F_SETFL, ::fcntl(reading, F_GETFL) & ~O_NONBLOCK);
      never_waits_ = true;
    }
    next();
  }

  void pause() override { paused_ = true; }

  void resume() override {
    paused_ = false;
    if (!reading_ && on_data_) next();
  }

  void stop() override {
    on_data_ = nullptr;
    on_end_ = nullptr;
    restore();
    boost::system::error_code ignored;
    descriptor_.close(ignored);
  }

 private:
  // Whether epoll can watch the descriptor. (Asio accepts one it cannot, reading it as if always
  // ready; for a pipe-like device that would spin, so the choice is made here, plainly.)
  bool pollable() {
    const posix::unique_fd probe(::epoll_create1(EPOLL_CLOEXEC));
    if (!probe) return false;
    epoll_event event{};
    event.events = EPOLLIN;
    return ::epoll_ctl(probe.get(), EPOLL_CTL_ADD, descriptor_.native_handle(), &event) == 0;
  }

  // The next read, unless paused (resume() makes it then).
  void next() {
    if (paused_) return;
    reading_ = true;
    if (never_waits_) return read_chunk();
    descriptor_.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->reading_ = false;
          if (!self->on_data_) return;
          if (ec == asio::error::eof) return self->end({});
          if (ec) return self->end("cannot read stdin: " + ec.message());
          self->on_data_(std::string(self->buffer_.data(), n));
          if (self->on_data_) self->next();
        });
  }

  void read_chunk() {
    asio::post(io_, [self = shared_from_this()] {
      self->reading_ = false;
      if (!self->on_data_) return;
      const ssize_t n =
          ::read(self->descriptor_.native_handle(), self->buffer_.data(), self->buffer_.size());
      if (n < 0 && errno == EINTR) return self->next();
      if (n < 0) return self->end(std::string("cannot read stdin: ") + std::strerror(errno));
      if (n == 0) return self->end({});
      self->on_data_(std::string(self->buffer_.data(), static_cast<std::size_t>(n)));
      if (self->on_data_) self->next();
    });
  }

  void end(const std::string& problem) {
    auto handler = std::move(on_end_);
    on_data_ = nullptr;
    on_end_ = nullptr;
    restore();
    boost::system::error_code ignored;
    descriptor_.close(ignored);
    if (handler) asio::post(io_, [handler = std::move(handler), problem] { handler(problem); });
  }

  void restore() {
    if (shared_fd_ >= 0 && shared_flags_ >= 0) ::fcntl(shared_fd_, F_SETFL, shared_flags_);
    shared_fd_ = -1;
  }

  asio::io_context& io_;
  asio::posix::stream_descriptor descriptor_;
  data_handler on_data_;
  end_handler on_end_;
  std::array<char, stdin_chunk> buffer_{};
  bool never_waits_ = false;  // a regular file or the like: read one chunk per turn of the loop
  bool paused_ = false;
  bool reading_ = false;  // a read is asked for and has not completed
  int shared_fd_ = -1;    // our duplicate of a descriptor whose open file others share
  int shared_flags_ = -1;
};

}  // namespace

std::shared_ptr<stdin_forwarder> forward_stdin(asio::io_context& io, int fd,
                                               stdin_forwarder::data_handler on_data,
                                               stdin_forwarder::end_handler on_end) {
  auto r = std::make_shared<reader>(io, std::move(on_data), std::move(on_end));
  r->begin(fd);
  return r;
}

}  // namespace constellation::deploy
