#pragma once
// Records with descriptors attached (SCM_RIGHTS) over a Unix SOCK_SEQPACKET socket: one record per
// call, its descriptors with it, or none of it.

#include "posix/unique_fd.hpp"

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::process {

// Sends bytes as one record with fds attached (they stay open here). 0 when sent, else the errno:
// EAGAIN when a non-blocking socket is full, EPIPE when the peer is gone (never SIGPIPE).
int send_record(int socket, std::string_view bytes, std::span<const int> fds);

struct received_record {
  std::string bytes;
  std::vector<posix::unique_fd> fds;  // close-on-exec
  bool truncated = false;  // the record or its descriptors did not fit: not to be trusted
};

// Receives one record of at most max_bytes. nullopt at end of file; the errno when receiving
// failed (EAGAIN when a non-blocking socket has nothing). Retries on EINTR.
std::expected<std::optional<received_record>, int> receive_record(int socket, std::size_t max_bytes,
                                                                  bool nonblocking = false);

}  // namespace constellation::process
