#pragma once
// nodes.toml: the cluster description the master reads. nodes.example.toml documents the format.
//
//   [[nodes]]
//   fabric_addr = "10.0.0.1:9999"   # the node's daemon; the first entry is the master itself
//   bridge_bind = "10.0.0.1:8888"   # optional: run a bridge here
//   mem = "100 GiB"                 # capacity: "512 MiB", "2 GiB" or an integer number of bytes
//   cpu = 16                        # logical cores, may be fractional

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/endpoint.hpp"

namespace constellation::fabric {

struct node_config {
  cluster::endpoint fabric;                 // fabric_addr
  std::optional<cluster::endpoint> bridge;  // bridge_bind
  std::uint64_t mem = 0;                    // bytes, more than 0
  double cpu = 0;                           // logical cores, finite, from 0.000001 to 1000000
};

struct cluster_config {
  std::string path;                // the file read, as given
  std::vector<node_config> nodes;  // in file order, at least one; nodes[0] is the master
};

// Reads a cluster description; path only names the text in messages. Refuses, with a message that
// starts "path:line:column: " and says what was expected, what was found and how to fix it: a TOML
// syntax error; no [[nodes]] entry; an entry without fabric_addr, mem or cpu; a value of the wrong
// type; a bad address or port (see parse_endpoint) or fabric_addr 0.0.0.0; mem 0; cpu not above 0
// or not finite; an unknown key (a misspelt key must not silently leave a default in force); and an
// address used twice among all fabric_addr and bridge_bind values, naming both positions. Reports
// the first problem found. Does not throw except std::bad_alloc.
std::expected<cluster_config, std::string> parse_nodes_toml(std::string_view text,
                                                            const std::string& path);

// parse_nodes_toml on the content of the file at path. A file that cannot be read gives a message
// naming it and the reason. Blocks on reading the file only.
std::expected<cluster_config, std::string> load_nodes_toml(const std::string& path);

}  // namespace constellation::fabric
