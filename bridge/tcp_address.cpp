#include "tcp_address.hpp"

#include "config/endpoint.hpp"

#include <boost/asio/ip/address_v4.hpp>

namespace constellation::bridge {

std::expected<tcp_address, std::string> parse_tcp_address(std::string_view text) {
  auto parsed = fabric::parse_endpoint(text);
  if (!parsed) return std::unexpected(parsed.error());
  return tcp_address{{boost::asio::ip::address_v4(parsed->ipv4), parsed->port}, parsed->text};
}

}  // namespace constellation::bridge
