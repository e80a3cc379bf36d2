#include "deploy_options.hpp"

namespace constellation::deploy {

std::expected<deploy_options, std::string> parse_deploy_options(
    const std::vector<std::string>& args, const char* environment_format) {
  deploy_options options;
  if (environment_format && *environment_format) {
    auto format = report::parse_output_format(environment_format);
    if (!format)
      return std::unexpected("CONSTELLATION_FORMAT is \"" + std::string(environment_format) +
                             "\": it must be human or json");
    options.format = *format;
  }
  // BRIDGE_ADDR and BINARY, or a query's name and its arguments.
  std::vector<std::string> positional;
  bool options_ended = false;
  const auto is_query = [&] {
    return !positional.empty() && (positional.front() == "status" || positional.front() == "jobs" ||
                                   positional.front() == "kill");
  };
  // A deploy's options end at BINARY; a query takes options anywhere.
  const auto reading_options = [&] { return positional.size() < 2 || is_query(); };
  std::size_t i = 0;
  for (; i < args.size() && reading_options(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || !arg.starts_with("-") || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
    } else if (arg == "-h" || arg == "--help") {
      options.help = true;
      return options;
    } else if (arg == "--format" || arg.starts_with("--format=")) {
      std::string value;
      if (arg == "--format") {
        if (i + 1 >= args.size()) return std::unexpected("--format needs a value: human or json");
        value = args[++i];
      } else {
        value = arg.substr(9);
      }
      auto format = report::parse_output_format(value);
      if (!format)
        return std::unexpected("--format is \"" + value + "\": it must be human or json");
      options.format = *format;
    } else if (arg == "--secret-file" || arg.starts_with("--secret-file=")) {
      if (arg == "--secret-file") {
        if (i + 1 >= args.size()) return std::unexpected("--secret-file needs a file");
        options.secret_file = args[++i];
      } else {
        options.secret_file = arg.substr(14);
      }
    } else {
      return std::unexpected("unknown option " + arg);
    }
  }
  if (is_query()) {
    const std::string name = positional.front();
    const bool kill = name == "kill";
    const std::string synopsis = name + " BRIDGE_ADDR" + (kill ? " JOB" : "");
    options.what = name == "status" ? deploy_options::command::status
                   : kill           ? deploy_options::command::kill
                                    : deploy_options::command::jobs;
    if (positional.size() < 2)
      return std::unexpected(name + " needs the bridge's address: " + synopsis);
    if (kill && positional.size() < 3)
      return std::unexpected("kill needs the job's id: " + synopsis);
    if (positional.size() > (kill ? 3u : 2u))
      return std::unexpected("unexpected argument \"" + positional[kill ? 3 : 2] + "\" after " +
                             synopsis);
    options.bridge = positional[1];
    if (kill) options.job = positional[2];
    return options;
  }
  if (positional.size() < 2)
    return std::unexpected(positional.empty() ? "BRIDGE_ADDR and BINARY are required"
                                              : "BINARY is required");
  options.bridge = positional[0];
  options.binary = positional[1];
  if (i < args.size() && args[i] == "--") ++i;
  options.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return options;
}

}  // namespace constellation::deploy
