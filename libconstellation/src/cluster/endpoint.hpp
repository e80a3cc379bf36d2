#pragma once
// An IPv4 address and TCP port, as written in nodes.toml and on the command lines of the fabric,
// the bridge and constellation-deploy: the one reading of "IPv4:port" they all share.

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace constellation::cluster {

struct endpoint {
  std::uint32_t ipv4 = 0;  // host byte order: 10.0.0.1 is 0x0a000001
  std::uint16_t port = 0;
  std::string text;  // canonical "a.b.c.d:port", so equal endpoints have equal text
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

// "10.0.0.1:9999" or "localhost:9999" (read as 127.0.0.1:9999). Host names other than localhost
// are refused rather than resolved: resolving would block, and could give a different address on
// each node, while the master must recognise its own entry by comparing addresses. IPv6 is not
// supported. Each octet is decimal without leading zeros ("010" means 8 to some tools and 10 to
// others); the port is 1 to 65535. The error says what was expected, what was found and the fix.
std::expected<endpoint, std::string> parse_endpoint(std::string_view text);

// 127.0.0.0/8: only processes on this machine can connect.
bool is_loopback(const endpoint& e);

// "a.b.c.d:port" for an address in host byte order.
std::string format_endpoint(std::uint32_t ipv4, std::uint16_t port);

// The same address for Asio, to listen on or connect to.
boost::asio::ip::tcp::endpoint tcp_endpoint(const endpoint& e);

}  // namespace constellation::cluster
