#pragma once
// The options every long-lived TCP connection between constellation's processes and daemons gets.

#include <boost/asio/ip/tcp.hpp>

namespace constellation::agent {

// TCP_NODELAY, since messages are small and latency matters; and keepalive probing after 2 s of
// silence, every second, 3 times, since a dead peer on another machine sends no RST and must be
// noticed within seconds. Failures are ignored: the connection works without them.
void tune_tcp(int fd);
inline void tune_tcp(boost::asio::ip::tcp::socket& socket) {
  tune_tcp(socket.native_handle());
}

}  // namespace constellation::agent
