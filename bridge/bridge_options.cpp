#include "bridge_options.hpp"

#include "cluster/binary_cache.hpp"

namespace constellation::bridge {

std::expected<bridge_options, std::string> parse_bridge_options(
    const std::vector<std::string>& args) {
  bridge_options options;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // "--name value" or "--name=value"
    const auto value_of =
        [&](const std::string& name) -> std::expected<std::optional<std::string>, std::string> {
      if (arg == name) {
        if (i + 1 >= args.size()) return std::unexpected(name + " needs a value");
        return args[++i];
      }
      if (arg.starts_with(name + "=")) return arg.substr(name.size() + 1);
      return std::nullopt;
    };
    if (arg == "-h" || arg == "--help") {
      options.help = true;
      return options;
    }
    if (arg == "-v" || arg == "--verbose" || arg == "-q" || arg == "--quiet") {
      options.log_level = arg.starts_with("-v") || arg == "--verbose" ? cluster::log_level::debug
                                                                      : cluster::log_level::warn;
      continue;
    }
    bool matched = false;
    // --format: the older name of --log-format.
    for (const char* name : {"--secret-file", "--log-format", "--format", "--cache-dir",
                             "--cache-max-bytes", "--cache-max-age"}) {
      auto value = value_of(name);
      if (!value) return std::unexpected(value.error());
      if (!*value) continue;
      matched = true;
      const std::string& v = **value;
      auto bound = cluster::apply_cache_flag(name, v, options.cache_bounds);
      if (!bound) return std::unexpected(bound.error());
      if (*bound) break;
      if (std::string(name) == "--secret-file") {
        options.secret_file = v;
      } else if (std::string(name) == "--cache-dir") {
        options.cache_dir = v;
      } else if (v == "json" || v == "human") {
        options.json_log = v == "json";
      } else {
        return std::unexpected(std::string(name) + " is \"" + v + "\": it must be human or json");
      }
      break;
    }
    if (matched) continue;
    if (arg.starts_with("-") && arg != "-") return std::unexpected("unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.size() != 2)
    return std::unexpected(positional.size() < 2 ? "LISTEN and MASTER_ADDR are required"
                                                 : "unexpected argument \"" + positional[2] + "\"");
  options.listen = positional[0];
  options.master = positional[1];
  return options;
}

std::string default_cache_dir(std::uint16_t port) {
  return cluster::binary_cache::default_dir("bridge-" + std::to_string(port));
}

}  // namespace constellation::bridge
