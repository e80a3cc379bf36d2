#pragma once
// The response side of the daemons' HTTP endpoints, as bytes: no sockets.

#include <string>

namespace constellation::fabric::http {

struct response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // the Allow header of a 405: the methods the resource takes
};

// The response's bytes: status line, headers (Content-Length, Connection: close, no caching, and
// headers that keep a browser from running anything the page did not ship), then the body unless
// head_only (a HEAD request).
std::string format_response(const response& r, bool head_only);

// The reason phrase of the statuses the endpoints send.
const char* reason_phrase(int status);

}  // namespace constellation::fabric::http
