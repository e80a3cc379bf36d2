#include "report/event_writer.hpp"

#include "report/human_writer.hpp"
#include "report/json_writer.hpp"

#include <cerrno>
#include <cstdlib>

#include <poll.h>
#include <unistd.h>

namespace constellation::report {

std::optional<output_format> parse_output_format(std::string_view name) {
  if (name == "human") return output_format::human;
  if (name == "json") return output_format::json;
  return std::nullopt;
}

std::unique_ptr<event_writer> make_event_writer(output_format format, int out_fd, int err_fd) {
  if (format == output_format::json) return std::make_unique<json_writer>(out_fd);
  const char* no_color = std::getenv("NO_COLOR");
  const bool terminal = ::isatty(err_fd) == 1;
  const bool colour = terminal && (no_color == nullptr || *no_color == '\0');
  return std::make_unique<human_writer>(out_fd, err_fd, colour, /*draw_progress=*/terminal);
}

void write_all(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(written));
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Someone made the fd non-blocking (a shared terminal, say); wait until it takes more.
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
    } else {
      return;  // EPIPE and the rest: see the header
    }
  }
}

}  // namespace constellation::report
