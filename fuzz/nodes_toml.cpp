// nodes.toml, the cluster description the master reads (fabric/config/nodes_config.hpp), and the
// checks the daemon makes of what it read.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/nodes_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fabric = constellation::fabric;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto config = fabric::parse_nodes_toml(text, "nodes.toml");
  if (!config) {
    if (!config.error().starts_with("nodes.toml:")) std::abort();  // every refusal says where
    return 0;
  }
  if (config->nodes.empty()) std::abort();
  for (const auto& node : config->nodes)
    if (node.mem == 0 || !(node.cpu > 0) || node.fabric.ipv4 == 0) std::abort();
  (void)fabric::loopback_only_problem(*config);
  if (fabric::master_entry_problem(*config, config->nodes.front().fabric)) std::abort();
  return 0;
}
