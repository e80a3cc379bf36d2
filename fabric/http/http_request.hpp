#pragma once
// The request side of the daemons' read-only HTTP endpoints (/metrics, the status page), as a
// codec over bytes: no sockets. It takes what a browser, curl or a Prometheus server sends: a
// request line and headers, no body. Non-goals: request bodies, chunked encoding, keep-alive
// (every response closes its connection), HTTP/2.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace constellation::fabric::http {

// A request's head may not be larger: Prometheus and browsers send well under 2 KiB, and a
// connection holds no more than this before it has said what it wants.
inline constexpr std::size_t max_request_head = 8 * 1024;

struct request {
  std::string method;  // as sent: "GET", "HEAD", ...
  std::string path;    // the target without its query: "/metrics"
  std::string query;   // after '?', empty when none
};

// Why a request cannot be served, with the status code that says so.
struct request_problem {
  int status = 400;  // 400 malformed, 431 head too large, 505 not HTTP/1.x
  std::string why;
};

struct incomplete {};  // the head has not ended yet: read more

using parse_result = std::variant<incomplete, request, request_problem>;

// Parses the head at the start of bytes (a request ends at its first empty line). Accepts LF as
// well as CRLF line ends, as RFC 9112 allows.
parse_result parse_request(std::string_view bytes);

}  // namespace constellation::fabric::http
