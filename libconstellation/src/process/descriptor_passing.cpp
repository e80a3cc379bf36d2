#include "process/descriptor_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace constellation::process {

namespace {
// Room for the descriptors of any record this project sends (a fork request has five).
constexpr std::size_t max_fds = 8;
}  // namespace

int send_record(int socket, std::string_view bytes, std::span<const int> fds) {
  iovec data{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)];
  if (!fds.empty()) {
    if (fds.size() > max_fds) return EINVAL;
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  while (true) {
    if (::sendmsg(socket, &message, MSG_NOSIGNAL) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

std::expected<std::optional<received_record>, int> receive_record(int socket, std::size_t max_bytes,
                                                                  bool nonblocking) {
  received_record record;
  record.bytes.resize(max_bytes);
  iovec data{record.bytes.data(), record.bytes.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)];
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC | (nonblocking ? MSG_DONTWAIT : 0))) < 0)
    if (errno != EINTR) return std::unexpected(errno);
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      record.fds.emplace_back(fd);
    }
  }
  if (n == 0 && record.fds.empty()) return std::nullopt;
  record.bytes.resize(static_cast<std::size_t>(n));
  record.truncated = (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  return record;
}

}  // namespace constellation::process
