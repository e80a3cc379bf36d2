#include "channel/local_socket.hpp"

#include "runtime/pid_access.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace constellation::channel {

sockaddr_un local_address(const pid& p, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // The first byte stays 0: an abstract name.
  const int n = std::snprintf(
      address.sun_path + 1, sizeof address.sun_path - 1, "constellation/%llx/%x/%x:%u",
      static_cast<unsigned long long>(detail::pid_access::job(p)), detail::pid_access::serial(p),
      detail::pid_access::ipv4(p), static_cast<unsigned>(detail::pid_access::port(p)));
  length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(n));
  return address;
}

posix::unique_fd listen_locally(const pid& self, std::string& error) {
  posix::unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    error = std::string("socket: ") + std::strerror(errno);
    return {};
  }
  socklen_t length = 0;
  const auto address = local_address(self, length);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(fd.get(), 128) != 0) {
    error = std::string("binding the local channel socket: ") + std::strerror(errno);
    return {};
  }
  return fd;
}

ssize_t receive_with_descriptor(int socket, void* into, std::size_t room,
                                posix::unique_fd& descriptor) {
  iovec part{into, room};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(socket, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      posix::unique_fd received(fd);  // closed here unless it is the first: only one is expected
      if (!descriptor) descriptor = std::move(received);
    }
  }
  return n;
}

}  // namespace constellation::channel
