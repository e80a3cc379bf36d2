#include "http/http_request.hpp"
#include "http/http_response.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace constellation::fabric::http;

namespace {

request parsed(const std::string& bytes) {
  auto result = parse_request(bytes);
  REQUIRE_MESSAGE(std::holds_alternative<request>(result), bytes);
  return std::get<request>(result);
}

request_problem problem(const std::string& bytes) {
  auto result = parse_request(bytes);
  REQUIRE_MESSAGE(std::holds_alternative<request_problem>(result), bytes);
  return std::get<request_problem>(result);
}

}  // namespace

TEST_CASE("http: a browser's and Prometheus' requests are parsed") {
  const auto r = parsed(
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nUser-Agent: Prometheus/2.45\r\n"
      "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n");
  CHECK(r.method == "GET");
  CHECK(r.path == "/metrics");
  CHECK(r.query.empty());
  const auto q = parsed("HEAD /status.json?t=1 HTTP/1.0\n\n");
  CHECK(q.method == "HEAD");
  CHECK(q.path == "/status.json");
  CHECK(q.query == "t=1");
}

TEST_CASE("http: a head that has not ended asks for more bytes") {
  CHECK(std::holds_alternative<incomplete>(parse_request("")));
  CHECK(std::holds_alternative<incomplete>(parse_request("GET / HTTP/1.1\r\nHost: x\r\n")));
  CHECK(std::holds_alternative<incomplete>(parse_request("GET / HTTP/1.1\r\n\r")));
}

TEST_CASE("http: malformed and oversized requests get the status that says why") {
  CHECK(problem("GARBAGE\r\n\r\n").status == 400);
  CHECK(problem("GET /\r\n\r\n").status == 400);
  CHECK(problem("GET metrics HTTP/1.1\r\n\r\n").status == 400);
  CHECK(problem("GET / SPDY/3\r\n\r\n").status == 400);
  CHECK(problem("GET / HTTP/2.0\r\n\r\n").status == 505);
  CHECK(problem("G\x01T / HTTP/1.1\r\n\r\n").status == 400);
  CHECK(problem(std::string("GET /a\x7f HTTP/1.1\r\n\r\n")).status == 400);
  // A head that never ends is refused once it reaches the limit, not buffered on.
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(max_request_head, 'a');
  CHECK(problem(endless).status == 431);
  const std::string large =
      "GET / HTTP/1.1\r\nX: " + std::string(max_request_head, 'a') + "\r\n\r\n";
  CHECK(problem(large).status == 431);
}

TEST_CASE("http: a response states its length, closes, and a HEAD response has no body") {
  const response r{200, "text/plain; charset=utf-8", "hello\n", {}};
  const auto full = format_response(r, false);
  CHECK(full.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(full.find("Content-Length: 6\r\n") != std::string::npos);
  CHECK(full.find("Connection: close\r\n") != std::string::npos);
  CHECK(full.find("Cache-Control: no-store\r\n") != std::string::npos);
  CHECK(full.ends_with("\r\n\r\nhello\n"));
  const auto head = format_response(r, true);
  CHECK(head.find("Content-Length: 6\r\n") != std::string::npos);
  CHECK(head.ends_with("\r\n\r\n"));
  const auto refused = format_response({405, "text/plain", "read-only\n", "GET, HEAD"}, false);
  CHECK(refused.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK(refused.find("Allow: GET, HEAD\r\n") != std::string::npos);
}
