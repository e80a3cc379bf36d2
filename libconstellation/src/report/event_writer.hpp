#pragma once
// Where the bridge sends process events: a terminal format for people, JSON Lines for programs.

#include "report/process_event.hpp"

#include <memory>
#include <optional>
#include <string_view>

namespace constellation::report {

class event_writer {
 public:
  virtual ~event_writer() = default;
  // Writes what the event shows, blocking until the bytes are written. Never throws for a failed
  // write: see write_all.
  virtual void write(const process_event& e) = 0;
};

enum class output_format { human, json };

// "human" or "json"; nullopt for anything else.
std::optional<output_format> parse_output_format(std::string_view name);

// A writer over fds the caller keeps open for the writer's lifetime. The human format is coloured
// when err_fd is a terminal and NO_COLOR is unset or empty (https://no-color.org); it draws
// progress lines only when err_fd is a terminal.
std::unique_ptr<event_writer> make_event_writer(output_format format, int out_fd = 1,
                                                int err_fd = 2);

// Writes all of bytes to fd, retrying on EINTR, partial writes and EAGAIN (waiting in poll()). Any
// other error, EPIPE included, drops the rest silently: the bridge must go on draining its
// processes' output, or they would block on full pipes, even when nobody reads its own output.
// Writing to a closed pipe raises SIGPIPE, which the caller is expected to ignore.
void write_all(int fd, std::string_view bytes) noexcept;

}  // namespace constellation::report
