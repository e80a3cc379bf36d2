// "IPv4:port" as read from nodes.toml and the daemons' command lines
// (libconstellation/src/cluster/endpoint.hpp). What it accepts must read back the same from its
// canonical text.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/endpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cluster = constellation::cluster;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = cluster::parse_endpoint(text);
  if (!parsed) {
    if (parsed.error().empty()) std::abort();
    return 0;
  }
  if (parsed->port == 0) std::abort();
  const auto again = cluster::parse_endpoint(parsed->text);
  if (!again || *again != *parsed) std::abort();
  if (cluster::tcp_endpoint(*parsed).port() != parsed->port) std::abort();
  return 0;
}
