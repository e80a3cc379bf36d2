#pragma once
// constellation-fabric as a library: command-line parsing and the daemon's run loop, so that tests
// can call them.

#include <optional>
#include <string>
#include <vector>
#include "cluster/cache_bounds.hpp"
#include "cluster/log.hpp"

namespace constellation::fabric {

struct daemon_arguments {
  std::optional<std::string> secret_file;
  bool json_log = false;
  cluster::log_level log_level = cluster::log_level::info;  // -v: debug, -q: warnings only
  std::string listen;
  // --advertise: the IPv4 address other nodes reach this one at, required with LISTEN 0.0.0.0.
  std::optional<std::string> advertise;
  std::optional<std::string> nodes_toml;
  std::optional<std::string> cache_folder;
  // --cache-max-bytes, --cache-max-age: each of the daemon's caches (the node's, and the master's)
  // is pruned to these; cache_flags holds them as given, for a bridge this daemon starts.
  cluster::cache_bounds cache_bounds;
  std::vector<std::string> cache_flags;
  // --http: IPv4:port of the read-only status page and /metrics; off when unset.
  std::optional<std::string> http_listen;
  bool help = false;  // -h or --help: print daemon_help and exit 0
};

// What --help prints: the usage, then each argument and option.
extern const char* const daemon_help;

// The arguments, or a message saying what is wrong and the usage line.
std::optional<daemon_arguments> parse_daemon_arguments(const std::vector<std::string>& args,
                                                       std::string& error);

// Runs until SIGINT or SIGTERM; the process's exit code.
int run_daemon(const daemon_arguments& arguments);

}  // namespace constellation::fabric
