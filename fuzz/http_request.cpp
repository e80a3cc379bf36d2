// The request head the daemons' HTTP endpoints parse (fabric/http/http_request.hpp), as any
// client on the network may send it before it is authenticated.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "http/http_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = constellation::fabric::http;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto result = http::parse_request(bytes);
  if (const auto* r = std::get_if<http::request>(&result)) {
    if (!r->path.starts_with('/') || r->method.empty()) std::abort();
  } else if (const auto* problem = std::get_if<http::request_problem>(&result)) {
    if (problem->why.empty() || problem->status < 400 || problem->status > 599) std::abort();
  } else if (size >= http::max_request_head) {
    std::abort();  // a head that never ends must be refused once it reaches the limit
  }
  return 0;
}
