#pragma once
// The listening socket of a process's channels: bound by the node agent before the process
// starts, so that its address is known (and goes into its pid) before it runs.

#include "posix/unique_fd.hpp"

#include <cstdint>
#include <expected>
#include <string>

namespace constellation::agent {

struct bound_listener {
  posix::unique_fd fd;
  std::uint32_t ipv4 = 0;  // host byte order
  std::uint16_t port = 0;
};

inline constexpr std::uint32_t loopback_ipv4 = 0x7f000001;

// A TCP socket listening on ipv4 at a port the kernel picks; close-on-exec.
std::expected<bound_listener, std::string> open_listener(std::uint32_t ipv4 = loopback_ipv4);

}  // namespace constellation::agent
