#pragma once
// The command line of constellation-bridge, read without side effects so that tests can call it.
//
//   constellation-bridge [--secret-file F] [--log-format human|json] [-v|-q] [--cache-dir D]
//                        [--cache-max-bytes SIZE] [--cache-max-age AGE] LISTEN MASTER_ADDR
//
// --log-format (or --format) is the log's format (cluster/log.hpp): the bridge shows no job
// events itself.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>
#include "cluster/cache_bounds.hpp"
#include "cluster/log.hpp"

namespace constellation::bridge {

inline constexpr const char* bridge_usage =
    "usage: constellation-bridge [--secret-file F] [--log-format human|json] [-v|-q] [--cache-dir "
    "D] "
    "[--cache-max-bytes SIZE] [--cache-max-age AGE] LISTEN MASTER_ADDR\n"
    "  LISTEN       where deploy clients connect, e.g. 127.0.0.11:7000\n"
    "  MASTER_ADDR  the master's fabric address, e.g. 127.0.0.11:7001\n"
    "  --secret-file F  the cluster's secret (default: CONSTELLATION_SECRET_FILE, else "
    "~/.constellation/secret,\n"
    "                   which allows loopback addresses only)\n"
    "  --log-format F   the log's format: human (default) or json (--format: the same)\n"
    "  -v, -q           log debug lines too, or warnings only\n"
    "  --cache-dir D    where uploaded binaries are kept (default "
    "${TMPDIR:-/tmp}/constellation-<uid>/bridge-<port>)\n"
    "  --cache-max-bytes SIZE  what the cache may hold: 512M, 2G, \"1.5 GiB\" or unlimited\n"
    "                   (default 2G); the least recently used binaries go first, those of jobs\n"
    "                   not yet ended never\n"
    "  --cache-max-age AGE  how long a binary no job uses is kept: 7d, 12h, 30m or unlimited\n"
    "                   (default 7d)\n";

struct bridge_options {
  std::optional<std::string> secret_file;
  bool json_log = false;
  cluster::log_level log_level = cluster::log_level::info;  // -v: debug, -q: warnings only
  std::optional<std::string> cache_dir;
  cluster::cache_bounds cache_bounds;  // --cache-max-bytes, --cache-max-age
  std::string listen;
  std::string master;
  bool help = false;  // -h or --help: print bridge_usage and exit 0
};

// The options of args (argv without the program name). The error names the argument at fault;
// addresses are only checked to be present here (see cluster::parse_endpoint).
std::expected<bridge_options, std::string> parse_bridge_options(
    const std::vector<std::string>& args);

// The default of --cache-dir: ${TMPDIR:-/tmp}/constellation-<uid>/bridge-<port>, one cache per
// bridge, so that two bridges on one machine do not race on one directory.
std::string default_cache_dir(std::uint16_t port);

}  // namespace constellation::bridge
