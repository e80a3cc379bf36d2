#pragma once
// The Unix-domain side door of a process's channels: peers on the same host connect here instead
// of to its TCP port, run the same handshake, and are then handed the shared rings of the link
// (a descriptor can only travel over a Unix socket). The address is abstract (no file to clean
// up, gone when the process is) and derived from the pid, so a peer finds it from the pid alone.
// Reaching it proves nothing: the handshake's shared secret keeps strangers out, as on TCP.

#include "posix/unique_fd.hpp"

#include <constellation/pid.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

namespace constellation::channel {

// The abstract address of p's channel socket.
sockaddr_un local_address(const pid& p, socklen_t& length);

// A listening socket at this process's address; none (and error) when it cannot be bound.
posix::unique_fd listen_locally(const pid& self, std::string& error);

// Sending a descriptor: process::send_record (descriptor_passing.hpp).
// recv() that also takes a descriptor sent along (into descriptor, which must hold none on entry;
// a second one in the same read is closed). Returns what recv returns.
ssize_t receive_with_descriptor(int socket, void* into, std::size_t room,
                                posix::unique_fd& descriptor);

}  // namespace constellation::channel
