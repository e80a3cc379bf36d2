#pragma once
// "IPv4:port" on the command lines of constellation-bridge and constellation-deploy, read as
// nodes.toml's addresses are (fabric/config/endpoint.hpp), for Asio.

#include <boost/asio/ip/tcp.hpp>

#include <expected>
#include <string>
#include <string_view>

namespace constellation::bridge {

struct tcp_address {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string text;  // canonical "a.b.c.d:port"
  bool loopback() const { return endpoint.address().is_loopback(); }
};

// Dotted IPv4 or "localhost", and a port 1-65535; host names are not resolved. The error names
// the text, what was expected and the fix.
std::expected<tcp_address, std::string> parse_tcp_address(std::string_view text);

}  // namespace constellation::bridge
