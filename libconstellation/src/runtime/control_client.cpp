#include "runtime/control_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace constellation::runtime {

control_client::~control_client() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> control_client::write_frame(const std::string& bytes) {
  std::lock_guard lock(write_mutex_);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(std::string("the node agent is gone: ") + std::strerror(errno));
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Called with reading_ set by this thread and mutex_ not held.
std::expected<void, std::string> control_client::read_one_reply() {
  while (true) {
    auto decoded = wire::decode_frame(buffer_);
    if (!decoded) return std::unexpected(std::string("bad reply from the node agent: ") + wire::to_string(decoded.error()));
    if (*decoded) {
      const auto frame = **decoded;
      if (frame.type != static_cast<std::uint8_t>(wire::message_type::spawn_reply))
        return std::unexpected("unexpected message from the node agent");
      auto reply = wire::decode_message<wire::spawn_reply>(frame.payload);
      if (!reply) return std::unexpected(reply.error());
      buffer_.erase(0, frame.size);
      std::lock_guard lock(mutex_);
      replies_.emplace(reply->request_id, std::move(*reply));
      return {};
    }
    char chunk[16 * 1024];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return std::unexpected("the node agent closed the connection (the job is ending)");
    if (n < 0) return std::unexpected(std::string("the node agent is gone: ") + std::strerror(errno));
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::expected<wire::spawn_reply, std::string> control_client::spawn(wire::spawn_request request) {
  {
    std::lock_guard lock(mutex_);
    if (!broken_.empty()) return std::unexpected(broken_);
    request.request_id = next_request_++;
  }
  const auto id = request.request_id;
  if (auto written = write_frame(wire::encode_message(request)); !written) return std::unexpected(written.error());

  std::unique_lock lock(mutex_);
  while (true) {
    if (auto it = replies_.find(id); it != replies_.end()) {
      auto reply = std::move(it->second);
      replies_.erase(it);
      return reply;
    }
    if (!broken_.empty()) return std::unexpected(broken_);
    if (reading_) {
      replied_.wait(lock);
      continue;
    }
    reading_ = true;
    lock.unlock();
    auto got = read_one_reply();
    lock.lock();
    reading_ = false;
    if (!got) broken_ = got.error();
    replied_.notify_all();
  }
}

}  // namespace constellation::runtime
