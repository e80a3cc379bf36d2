#include "runner/expectation.hpp"

#include "runner/output_check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string_view>

namespace e2e {

namespace {

using nlohmann::json;

// Thrown while reading; load_expectation() turns it into its error.
struct bad_expectation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The keys an object may have besides the output checks, which both kinds of object accept.
constexpr std::array<std::string_view, 8> output_keys = {
    "stdout", "stdout_hex", "stdout_size", "stdout_sha256",
    "stderr", "stderr_hex", "stderr_size", "stderr_sha256"};
constexpr std::array<std::string_view, 8> process_keys = {
    "description", "status", "signal", "reason", "children", "count", "progress", "trapped"};
constexpr std::array<std::string_view, 10> root_keys = {"description",
                                                        "exit_code",
                                                        "format",
                                                        "args",
                                                        "env",
                                                        "stdin",
                                                        "timeout",
                                                        "terminate_after_output",
                                                        "terminate_with",
                                                        "top"};
// The keys that say in which modes a scenario runs and how a deployed run differs. They are taken
// off the root before the rest is read as one mode's expectation.
constexpr std::array<std::string_view, 4> mode_keys = {"modes", "local_only_because", "cluster",
                                                       "cluster_differs_because"};

bool one_of(std::span<const std::string_view> keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// A misspelt key would otherwise be a check that silently never runs.
void only_keys(const json& object, std::span<const std::string_view> allowed,
               const std::string& where) {
  for (const auto& [key, value] : object.items())
    if (!one_of(allowed, key) && !one_of(output_keys, key))
      throw bad_expectation(where + ": unknown key \"" + key + "\"");
}

std::string string_at(const json& value, const std::string& where) {
  if (!value.is_string()) throw bad_expectation(where + " must be a string");
  return value.get<std::string>();
}

std::int64_t integer_at(const json& value, const std::string& where) {
  if (!value.is_number_integer()) throw bad_expectation(where + " must be an integer");
  return value.get<std::int64_t>();
}

std::string regex_at(const json& value, const std::string& where) {
  auto pattern = string_at(value, where);
  if (auto error = regex_error(pattern))
    throw bad_expectation(where + " is not a valid regex: " + *error);
  return pattern;
}

bool is_lower_hex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Reads "<stream>", "<stream>_hex", "<stream>_size" and "<stream>_sha256" from object.
output_expectation output_at(const json& object, const std::string& stream,
                             const std::string& where) {
  output_expectation out;
  if (const auto it = object.find(stream); it != object.end())
    out.regex = regex_at(*it, where + "." + stream);
  if (const auto it = object.find(stream + "_hex"); it != object.end()) {
    out.hex = string_at(*it, where + "." + stream + "_hex");
    if (out.hex->size() % 2 != 0 || !is_lower_hex(*out.hex))
      throw bad_expectation(where + "." + stream + "_hex must be pairs of lowercase hex digits");
  }
  if (const auto it = object.find(stream + "_size"); it != object.end()) {
    const auto size = integer_at(*it, where + "." + stream + "_size");
    if (size < 0) throw bad_expectation(where + "." + stream + "_size must not be negative");
    out.size = static_cast<std::uint64_t>(size);
  }
  if (const auto it = object.find(stream + "_sha256"); it != object.end()) {
    out.sha256 = string_at(*it, where + "." + stream + "_sha256");
    if (out.sha256->size() != 64 || !is_lower_hex(*out.sha256))
      throw bad_expectation(where + "." + stream + "_sha256 must be 64 lowercase hex digits");
  }
  return out;
}

process_expectation process_at(const json& object, const std::string& where, bool is_child) {
  if (!object.is_object()) throw bad_expectation(where + " must be an object");
  only_keys(object, process_keys, where);
  process_expectation p;
  if (const auto it = object.find("status"); it != object.end())
    p.status = static_cast<int>(integer_at(*it, where + ".status"));
  if (const auto it = object.find("signal"); it != object.end()) {
    p.signal = string_at(*it, where + ".signal");
    if (!p.signal->starts_with("SIG"))
      throw bad_expectation(where + ".signal must be a name like \"SIGABRT\"");
  }
  if (p.status.has_value() == p.signal.has_value())
    throw bad_expectation(where + " must give exactly one of \"status\" and \"signal\"");
  if (const auto it = object.find("reason"); it != object.end())
    p.reason = regex_at(*it, where + ".reason");
  if (const auto it = object.find("progress"); it != object.end())
    p.progress = regex_at(*it, where + ".progress");
  if (const auto it = object.find("trapped"); it != object.end()) {
    if (!it->is_boolean()) throw bad_expectation(where + ".trapped must be true or false");
    p.trapped = it->get<bool>();
  }
  p.out[0] = output_at(object, "stdout", where);
  p.out[1] = output_at(object, "stderr", where);
  if (const auto it = object.find("count"); it != object.end()) {
    if (!is_child) throw bad_expectation(where + ": only a child has a \"count\"");
    const auto count = integer_at(*it, where + ".count");
    if (count < 1) throw bad_expectation(where + ".count must be at least 1");
    p.count = static_cast<int>(count);
  }
  if (const auto it = object.find("children"); it != object.end()) {
    if (!it->is_array()) throw bad_expectation(where + ".children must be an array");
    p.children.emplace();
    for (std::size_t i = 0; i < it->size(); ++i)
      p.children->push_back(
          process_at((*it)[i], where + ".children[" + std::to_string(i) + "]", true));
  }
  return p;
}

expectation expectation_from(const json& root) {
  const std::string where = "expectation";
  if (!root.is_object()) throw bad_expectation("the expectation must be a JSON object");
  only_keys(root, root_keys, where);
  expectation e;
  const auto code = root.find("exit_code");
  if (code == root.end()) throw bad_expectation("\"exit_code\" is required");
  e.exit_code = static_cast<int>(integer_at(*code, "exit_code"));

  if (const auto it = root.find("format"); it != root.end()) {
    const auto format = string_at(*it, "format");
    if (format == "json")
      e.format = output_format::json;
    else if (format == "human")
      e.format = output_format::human;
    else
      throw bad_expectation("format must be \"json\" or \"human\"");
  }
  if (const auto it = root.find("args"); it != root.end()) {
    if (!it->is_array()) throw bad_expectation("args must be an array of strings");
    for (const auto& a : *it) e.args.push_back(string_at(a, "each of args"));
  }
  if (const auto it = root.find("env"); it != root.end()) {
    if (!it->is_object()) throw bad_expectation("env must be an object of strings");
    for (const auto& [key, value] : it->items())
      e.env.emplace_back(key, string_at(value, "env." + key));
  }
  if (const auto it = root.find("stdin"); it != root.end()) e.stdin_bytes = string_at(*it, "stdin");
  if (const auto it = root.find("timeout"); it != root.end()) {
    const auto seconds = integer_at(*it, "timeout");
    if (seconds < 1) throw bad_expectation("timeout must be at least 1 second");
    e.timeout = std::chrono::seconds(seconds);
  }
  if (const auto it = root.find("terminate_after_output"); it != root.end())
    e.terminate_after_output = regex_at(*it, "terminate_after_output");
  if (const auto it = root.find("terminate_with"); it != root.end()) {
    const auto how = string_at(*it, "terminate_with");
    if (how != "SIGTERM" && how != "ctrl_c")
      throw bad_expectation("terminate_with must be \"SIGTERM\" or \"ctrl_c\"");
    if (!e.terminate_after_output)
      throw bad_expectation("terminate_with needs terminate_after_output");
    e.terminate_with_ctrl_c = how == "ctrl_c";
  }

  const bool has_command_output =
      std::any_of(output_keys.begin(), output_keys.end(),
                  [&](std::string_view k) { return root.contains(std::string(k)); });
  if (e.format == output_format::json) {
    if (has_command_output)
      throw bad_expectation(
          "stdout/stderr at the top level are for \"format\": \"human\"; "
          "in json format, check a process's output under \"top\"");
    const auto top = root.find("top");
    if (top == root.end()) throw bad_expectation("\"top\" is required in json format");
    e.top = process_at(*top, "top", false);
  } else {
    if (root.contains("top"))
      throw bad_expectation("\"top\" is for json format; human format checks the command's output");
    e.command_out[0] = output_at(root, "stdout", where);
    e.command_out[1] = output_at(root, "stderr", where);
  }
  return e;
}

std::string reason_at(const json& root, std::string_view key) {
  const auto reason = string_at(root.at(std::string(key)), std::string(key));
  if (reason.find_first_not_of(" \t\n") == std::string::npos)
    throw bad_expectation(std::string(key) + " must say why");
  return reason;
}

// The file's root split by mode: what a local run and what a deployed run must look like, each
// a root without the mode keys.
struct per_mode {
  json local, cluster;
  std::string local_only_because;  // non-empty: the scenario is not deployed
};

per_mode split_by_mode(const json& root) {
  if (!root.is_object()) throw bad_expectation("the expectation must be a JSON object");
  per_mode split;
  split.local = root;
  for (const auto key : mode_keys) split.local.erase(std::string(key));

  bool deployed = true;
  if (const auto it = root.find("modes"); it != root.end()) {
    if (!it->is_array() || it->empty())
      throw bad_expectation("modes must be a non-empty array of \"local\" and \"cluster\"");
    bool local = false, cluster = false;
    for (const auto& m : *it) {
      const auto mode = string_at(m, "each of modes");
      if (mode != "local" && mode != "cluster")
        throw bad_expectation("modes: \"" + mode + "\" is neither \"local\" nor \"cluster\"");
      bool& seen = mode == "local" ? local : cluster;
      if (seen) throw bad_expectation("modes: \"" + mode + "\" is given twice");
      seen = true;
    }
    // A scenario that cannot run locally could not be debugged by hand either.
    if (!local) throw bad_expectation("modes must include \"local\"");
    deployed = cluster;
  }
  if (deployed == root.contains("local_only_because"))
    throw bad_expectation(deployed ? "local_only_because is for \"modes\": [\"local\"]"
                                   : "\"modes\": [\"local\"] needs local_only_because: why the "
                                     "scenario cannot run deployed");
  if (!deployed) split.local_only_because = reason_at(root, "local_only_because");

  split.cluster = split.local;
  const auto overrides = root.find("cluster");
  if ((overrides != root.end()) != root.contains("cluster_differs_because"))
    throw bad_expectation(
        "\"cluster\" and cluster_differs_because go together: what differs when "
        "deployed, and why that is right");
  if (overrides == root.end()) return split;
  if (!deployed) throw bad_expectation("\"cluster\" is for a scenario that runs deployed");
  if (!overrides->is_object()) throw bad_expectation("cluster must be an object");
  reason_at(root, "cluster_differs_because");
  for (const auto& [key, value] : overrides->items()) {
    if (key == "description" || one_of(mode_keys, key) ||
        (!one_of(root_keys, key) && !one_of(output_keys, key)))
      throw bad_expectation("cluster: \"" + key + "\" cannot be given for cluster mode");
    split.cluster[key] = value;
  }
  return split;
}

}  // namespace

std::expected<expectation, std::string> load_expectation(const std::filesystem::path& file,
                                                         run_mode mode) {
  std::ifstream in(file);
  if (!in) return std::unexpected(file.string() + ": cannot be read");
  const json root = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return std::unexpected(file.string() + ": not valid JSON");
  try {
    const per_mode split = split_by_mode(root);
    expectation local = expectation_from(split.local);
    if (!split.local_only_because.empty()) {
      if (mode == run_mode::cluster) local.not_in_this_mode = split.local_only_because;
      return local;
    }
    expectation deployed;
    try {
      deployed = expectation_from(split.cluster);
    } catch (const bad_expectation& e) {
      throw bad_expectation(std::string("in cluster mode, with the keys of \"cluster\": ") +
                            e.what());
    }
    return mode == run_mode::local ? local : deployed;
  } catch (const bad_expectation& e) {
    return std::unexpected(file.string() + ": " + e.what());
  }
}

}  // namespace e2e
