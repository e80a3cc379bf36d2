#include "cluster/endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace constellation::cluster {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// The decimal value of up to 9 digits (more is out of range for every caller), or -1.
long decimal(std::string_view digits) {
  if (!all_digits(digits) || digits.size() > 9) return -1;
  long value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

std::expected<std::uint32_t, std::string> parse_ipv4(std::string_view host) {
  if (equals_ignoring_case(host, "localhost")) return 0x7f000001;
  const bool dotted =
      std::ranges::all_of(host, [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  if (!dotted) {
    return std::unexpected(
        "host names are not resolved (only localhost is understood, as 127.0.0.1); "
        "write the node's IPv4 address instead of \"" +
        std::string(host) + "\"");
  }
  const auto not_ipv4 = std::unexpected("\"" + std::string(host) +
                                        "\" is not an IPv4 address: it needs four numbers from 0 "
                                        "to 255 separated by dots, such as 10.0.0.1");
  std::uint32_t address = 0;
  int octets = 0;
  for (std::string_view rest = host;;) {
    const auto dot = rest.find('.');
    const std::string_view octet = rest.substr(0, dot);
    const long value = decimal(octet);
    if (++octets > 4 || value < 0 || value > 255) return not_ipv4;
    if (octet.size() > 1 && octet.front() == '0') {
      return std::unexpected("\"" + std::string(octet) + "\" in \"" + std::string(host) +
                             "\" has a leading zero, which some tools read as octal; write " +
                             std::to_string(value));
    }
    address = address << 8 | static_cast<std::uint32_t>(value);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (octets != 4) return not_ipv4;
  return address;
}

}  // namespace

std::string format_endpoint(std::uint32_t ipv4, std::uint16_t port) {
  return std::to_string(ipv4 >> 24) + "." + std::to_string(ipv4 >> 16 & 0xff) + "." +
         std::to_string(ipv4 >> 8 & 0xff) + "." + std::to_string(ipv4 & 0xff) + ":" +
         std::to_string(port);
}

std::expected<endpoint, std::string> parse_endpoint(std::string_view text) {
  const auto fail = [&](const std::string& why) -> std::expected<endpoint, std::string> {
    return std::unexpected("expected an IPv4 address and port such as \"10.0.0.1:9999\", found \"" +
                           std::string(text) + "\": " + why);
  };
  if (text.starts_with('[') || std::ranges::count(text, ':') > 1)
    return fail("IPv6 is not supported; use an IPv4 address");
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return fail("the port is missing; add it after a colon");
  const std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.empty()) return fail("the address before the colon is missing");
  if (port_text.empty()) return fail("the port after the colon is missing");
  if (!all_digits(port_text))
    return fail("the port \"" + std::string(port_text) + "\" is not a number from 1 to 65535");
  const long port = decimal(port_text);
  if (port == 0) return fail("port 0 cannot be connected to; use a port from 1 to 65535");
  if (port < 0 || port > 65535)
    return fail("port " + std::string(port_text) + " is out of range; use a port from 1 to 65535");
  const auto ipv4 = parse_ipv4(host);
  if (!ipv4) return fail(ipv4.error());
  const auto p = static_cast<std::uint16_t>(port);
  return endpoint{*ipv4, p, format_endpoint(*ipv4, p)};
}

bool is_loopback(const endpoint& e) {
  return e.ipv4 >> 24 == 127;
}

boost::asio::ip::tcp::endpoint tcp_endpoint(const endpoint& e) {
  return {boost::asio::ip::address_v4(e.ipv4), e.port};
}

}  // namespace constellation::cluster
