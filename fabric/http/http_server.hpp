#pragma once
// The daemons' read-only HTTP endpoint (--http LISTEN): serves GET and HEAD from a handler, on the
// daemon's own event loop. A connection sends one request and gets one response, then is closed.
// Bounded: at most max_connections at once, a request head of at most max_request_head bytes, and
// request_time_limit to send it. With every place taken, a new connection takes the place of the
// oldest that has not sent its request, as the daemons' handshakes do (cluster/
// authenticated_link.cpp), so that silent connections cannot keep a scrape out; only when every
// one is being answered do more wait in the kernel's backlog. (A connection accepted as the last
// silent one began to be answered is served all the same, one over the bound for a moment.)

#include "http/http_request.hpp"
#include "http/http_response.hpp"

#include "cluster/endpoint.hpp"
#include "cluster/log.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace constellation::fabric::http {

inline constexpr std::size_t max_connections = 64;
// A client that has not sent its request by then is gone or hostile.
inline constexpr auto request_time_limit = std::chrono::seconds(10);

// Answers a GET (or HEAD) request; runs on the event loop, so it must not block.
using handler = std::function<response(const request&)>;

class server {
 public:
  // Listens on at and serves; an error naming the address when it cannot listen.
  static std::expected<std::unique_ptr<server>, std::string> start(boost::asio::io_context& io,
                                                                   const cluster::endpoint& at,
                                                                   handler serve,
                                                                   const cluster::daemon_log& log);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Stops listening and closes every open connection.
  void stop();

  struct state;

 private:
  explicit server(std::shared_ptr<state> s) : state_(std::move(s)) {}
  std::shared_ptr<state> state_;
};

}  // namespace constellation::fabric::http
