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
  // Where each address was written, "path:line:column", so that a problem found later (by the
  // daemon, against its command line) still points at the entry.
  std::string fabric_at;
  std::string bridge_at;
};

struct cluster_config {
  std::string path;                // the file read, as given
  std::vector<node_config> nodes;  // in file order, at least one; nodes[0] is the master
};

// Reads a cluster description; path only names the text in messages. Refuses, with a message that
// starts "path:line:column: " and says what was expected, what was found and how to fix it: a TOML
// syntax error; no [[nodes]] entry; an entry without fabric_addr, mem or cpu; a value of the wrong
// type; a bad address or port (see parse_endpoint) or fabric_addr 0.0.0.0; mem 0; cpu not above 0
// or not finite; an unknown key (a misspelt key must not silently leave a default in force); an
// address used twice among all fabric_addr and bridge_bind values, naming both positions; and a
// bridge_bind on 0.0.0.0 whose port another address of the same machine uses (the same entry, an
// entry with the same IPv4 address, or any loopback entry when its node is on loopback), since a
// wildcard takes the port on every address. Reports the first problem found, the wildcard checks
// after all others. Does not throw except std::bad_alloc.
std::expected<cluster_config, std::string> parse_nodes_toml(std::string_view text,
                                                            const std::string& path);

// parse_nodes_toml on the content of the file at path. A file that cannot be read, or that is not a
// regular file (a FIFO would block the master for ever, a directory is a wrong path), gives a
// message naming it, the reason and what to do. Blocks on reading a regular file only.
std::expected<cluster_config, std::string> load_nodes_toml(const std::string& path);

// Without a chosen secret the daemons serve loopback only (README, "Secrets"): the first
// fabric_addr or bridge_bind off 127.0.0.0/8, as "path:line:column: key: ... what to do", or
// nullopt when every address is on loopback.
std::optional<std::string> loopback_only_problem(const cluster_config& config);

// The first entry is the master itself, so its fabric_addr must be the master's LISTEN: the
// problem, at the entry's fabric_addr, or nullopt.
std::optional<std::string> master_entry_problem(const cluster_config& config,
                                                const cluster::endpoint& listen);

}  // namespace constellation::fabric
