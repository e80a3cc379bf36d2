#pragma once
// The messages between a node agent and the fork server of one program image (process/
// fork_server.hpp), over a Unix SOCK_SEQPACKET socket pair that only the two hold. Each record is
// one frame (wire/frame.hpp) whose payload is the message in cereal's binary encoding; the
// descriptors a request hands over travel beside it as SCM_RIGHTS, in the order of fork_slot.
//
//   agent  -> server   fork_request   + descriptors: the launch spec's memory file, then those
//                                       marked in `attached` (report, control, listener, stdin)
//   child  -> agent    forked         sent by the new monitor itself, before anything else
//   server -> agent    forked         sent by the server once fork() returned: the same message
//   server -> agent    fork_refused   the server could not fork for this request
//
// Each fork is acknowledged twice, and the agent takes the first: by the child, so that the agent
// can tell without a race whether a monitor exists even if the server dies right after forking
// (the child holds a copy of the server's end until it has sent `forked`, so end of file on the
// agent's end, every copy closed, comes after the acknowledgement of every child that exists); and
// by the server, so that a child killed before it could say anything (a Ctrl-C on the terminal
// reaches it too) is still known, and its start fails as an executed monitor's would. A request
// that has no answer at end of file was never forked, or its child died before it ran anything of
// the program: the agent starts it by exec instead.
//
// Not a goal: talking to anything but the server the agent itself started. The socket pair is made
// by the agent and handed to the server at exec; nothing names it, nothing else can reach it.

#include "wire/messages.hpp"

#include <cstdint>
#include <string>

namespace constellation::wire {

enum class fork_message : std::uint8_t {
  request = 1,
  forked = 2,
  refused = 3,
};

// The descriptors of a request, in the order they are attached; `attached` has bit (1 << slot)
// set for each present. The spec is always present.
enum class fork_slot : std::uint8_t { spec, report, control, listener, stdin_fd };
inline constexpr int fork_slot_count = 5;
inline constexpr std::uint8_t fork_slot_bit(fork_slot s) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
}

struct fork_request {
  static constexpr auto type = fork_message::request;
  std::uint64_t request_id = 0;
  std::uint8_t attached = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, attached);
  }
};

struct forked {
  static constexpr auto type = fork_message::forked;
  std::uint64_t request_id = 0;
  std::int32_t os_pid = 0;  // the new monitor
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, os_pid);
  }
};

struct fork_refused {
  static constexpr auto type = fork_message::refused;
  std::uint64_t request_id = 0;
  std::string message;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, message);
  }
};

// The largest record either side sends; a fork_refused message is cut to fit.
inline constexpr std::size_t max_fork_record = 4096;

}  // namespace constellation::wire
