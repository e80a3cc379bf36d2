#include "runtime/control_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace constellation::runtime {

std::expected<void, std::string> control_client::write_frame(const std::string& bytes) {
  std::lock_guard lock(write_mutex_);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return std::unexpected(std::string("the node agent is gone: ") + std::strerror(errno));
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Called with reading_ set by this thread and mutex_ not held.
std::expected<void, std::string> control_client::read_one_reply() {
  while (true) {
    auto decoded = wire::decode_frame(buffer_);
    if (!decoded)
      return std::unexpected(std::string("bad reply from the node agent: ") +
                             wire::to_string(decoded.error()));
    if (*decoded) {
      const auto frame = **decoded;
      auto header = wire::decode_message<wire::reply_header>(frame.payload);
      if (!header) return std::unexpected(header.error());
      raw_reply reply{frame.type, std::string(frame.payload)};
      buffer_.erase(0, frame.size);
      std::lock_guard lock(mutex_);
      replies_.emplace(header->request_id, std::move(reply));
      return {};
    }
    char chunk[16 * 1024];
    ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return std::unexpected("the node agent closed the connection (the job is ending)");
    if (n < 0)
      return std::unexpected(std::string("the node agent is gone: ") + std::strerror(errno));
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

template <class Request, class Reply>
std::expected<Reply, std::string> control_client::exchange(Request request) {
  {
    std::lock_guard lock(mutex_);
    if (!broken_.empty()) return std::unexpected(broken_);
    request.request_id = next_request_++;
  }
  if (auto written = write_frame(wire::encode_message(request)); !written)
    return std::unexpected(written.error());
  auto raw = wait_for_reply(request.request_id);
  if (!raw) return std::unexpected(raw.error());
  if (raw->type != static_cast<std::uint8_t>(Reply::type))
    return std::unexpected("unexpected reply from the node agent");
  return wire::decode_message<Reply>(raw->payload);
}

std::expected<control_client::raw_reply, std::string> control_client::wait_for_reply(
    std::uint64_t id) {
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

std::expected<wire::spawn_reply, std::string> control_client::spawn(wire::spawn_request request) {
  return exchange<wire::spawn_request, wire::spawn_reply>(std::move(request));
}

wire::peer_status control_client::peer_status(const pid& who) {
  auto reply = exchange<wire::peer_status_request, wire::peer_status_reply>({0, who});
  return reply ? reply->status : wire::peer_status::unknown;
}

void control_client::send_one_way(const std::string& frame) {
  (void)write_frame(frame);
}

}  // namespace constellation::runtime
