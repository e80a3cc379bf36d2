// e2e_runner: runs one scenario of e2e_programs and checks what a user would see against the
// scenario's expectation. Exit status 0: the scenario passed; 1: it failed (the report says how);
// 2: the runner was misused, the expectation is malformed, or the scenario does not run in the mode
// asked for.
//
//   e2e_runner --program PATH --scenario NAME --expect FILE [--mode local]
//   e2e_runner --program PATH --scenario NAME --expect FILE --mode cluster --cluster RUN_FOLDER
//              --deploy PATH_OF_CONSTELLATION_DEPLOY
//   --env NAME=VALUE (repeatable) sets a variable for the run beside the expectation's "env", e.g.
//   CONSTELLATION_CHANNELS=tcp to run a scenario with every link on TCP
//   --timeout-scale N multiplies the expectation's timeout: the sanitizer build runs everything
//   two to three times slower, and ships binaries several times larger to the cluster's nodes

#include "runner/deployed_run.hpp"
#include "runner/expectation.hpp"
#include "runner/leftover_processes.hpp"
#include "runner/output_check.hpp"
#include "runner/process_tree.hpp"
#include "runner/program_run.hpp"
#include "runner/tree_match.hpp"

#include <signal.h>
#include <string.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace e2e {

namespace {

struct options {
  std::string program, scenario, expect;
  run_mode mode = run_mode::local;
  std::string cluster_folder, deploy;                    // cluster mode
  std::vector<std::pair<std::string, std::string>> env;  // --env
  int timeout_scale = 1;                                 // --timeout-scale
};

constexpr std::string_view marker_name = "CONSTELLATION_E2E_MARKER";
constexpr auto leftover_patience = std::chrono::seconds(2);

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "e2e_runner: " << problem << "\n"
            << "usage: e2e_runner --program PATH --scenario NAME --expect FILE [--mode local]\n"
            << "       e2e_runner --program PATH --scenario NAME --expect FILE --mode cluster\n"
            << "                  --cluster RUN_FOLDER --deploy PATH\n"
            << "       [--env NAME=VALUE]... [--timeout-scale N]\n";
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--program") {
      o.program = value;
    } else if (flag == "--scenario") {
      o.scenario = value;
    } else if (flag == "--expect") {
      o.expect = value;
    } else if (flag == "--mode") {
      if (value == "local")
        o.mode = run_mode::local;
      else if (value == "cluster")
        o.mode = run_mode::cluster;
      else
        usage("--mode is local or cluster, not " + value);
    } else if (flag == "--cluster") {
      o.cluster_folder = value;
    } else if (flag == "--deploy") {
      o.deploy = value;
    } else if (flag == "--env") {
      const auto equals = value.find('=');
      if (equals == std::string::npos || equals == 0) usage("--env takes NAME=VALUE, not " + value);
      o.env.emplace_back(value.substr(0, equals), value.substr(equals + 1));
    } else if (flag == "--timeout-scale") {
      o.timeout_scale = std::atoi(value.c_str());
      if (o.timeout_scale < 1 || o.timeout_scale > 10)
        usage("--timeout-scale takes 1 to 10, not " + value);
    } else {
      usage("unknown option " + std::string(flag));
    }
  }
  if (o.program.empty() || o.scenario.empty() || o.expect.empty())
    usage("--program, --scenario and --expect are required");
  if (o.mode == run_mode::cluster && (o.cluster_folder.empty() || o.deploy.empty()))
    usage("--mode cluster needs --cluster RUN_FOLDER and --deploy PATH");
  if (o.mode == run_mode::local && (!o.cluster_folder.empty() || !o.deploy.empty()))
    usage("--cluster and --deploy are for --mode cluster");
  return o;
}

std::string random_marker() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string marker;
  for (int i = 0; i < 16; ++i) marker += "0123456789abcdef"[digit(device)];
  return marker;
}

// The runner's environment without any CONSTELLATION_ setting of the developer's shell, then
// what the format and the expectation ask for. Deployed, the format is an option of
// constellation-deploy instead, which forwards this environment to every process of the job.
std::vector<std::string> command_environment(
    run_mode mode, const expectation& e,
    const std::vector<std::pair<std::string, std::string>>& extra,
    const std::string& marker_entry) {
  std::vector<std::pair<std::string, std::string>> settings;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view text = *entry;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || text.starts_with("CONSTELLATION_")) continue;
    settings.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
  auto set = [&](const std::string& name, const std::string& value) {
    std::erase_if(settings, [&](const auto& s) { return s.first == name; });
    settings.emplace_back(name, value);
  };
  if (mode == run_mode::local && e.format == output_format::json)
    set("CONSTELLATION_FORMAT", "json");
  for (const auto& [name, value] : e.env) set(name, value);
  for (const auto& [name, value] : extra) set(name, value);
  std::vector<std::string> environment;
  for (const auto& [name, value] : settings) environment.push_back(name + "=" + value);
  environment.push_back(marker_entry);
  return environment;
}

// How each mode runs the program (request is the local command), and finds what it left running.
// Deployed, the program runs through constellation-deploy, and the leftovers are sought the same
// way: the cluster's nodes are daemons on this machine, and deploy forwards the marker in its
// environment to every process of the job.
run_result run_program(const options& o, const std::optional<cluster_access>& cluster,
                       const expectation& e, run_request request) {
  switch (o.mode) {
    case run_mode::local:
      return run_locally(request);
    case run_mode::cluster:
      return run_locally(deployed(std::move(request), *cluster, e.format));
  }
  return {};
}

std::vector<marked_process> leftovers(run_mode mode, const std::string& marker_entry) {
  switch (mode) {
    case run_mode::local:
    case run_mode::cluster:
      return kill_leftovers(marker_entry, leftover_patience);
  }
  return {};
}

std::string shell_quoted(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+") ==
          std::string::npos)
    return word;
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// What to type to run the scenario by hand. Appended piece by piece: GCC 12 warns falsely
// (-Wrestrict) on "literal" + std::string&&.
std::string command_line(const options& o, const std::optional<cluster_access>& cluster,
                         const expectation& e) {
  std::string line;
  if (!cluster && e.format == output_format::json) line += "CONSTELLATION_FORMAT=json ";
  for (const auto& [name, value] : e.env) line += name + "=" + shell_quoted(value) + " ";
  if (cluster) {
    line += shell_quoted(cluster->deploy.string());
    for (const auto& option : deploy_options(*cluster, e.format)) {
      line += " ";
      line += shell_quoted(option);
    }
    line += " ";
  }
  line += shell_quoted(o.program) + " " + shell_quoted(o.scenario);
  for (const auto& a : e.args) {
    line += " ";
    line += shell_quoted(a);
  }
  if (!e.stdin_bytes.empty()) {
    line += " < (stdin: ";
    line += printable(e.stdin_bytes, 60);
    line += ")";
  }
  return line;
}

std::string ending(const run_result& r) {
  if (r.exit_code) return "exited with " + std::to_string(*r.exit_code);
  if (r.signal) {
    const char* name = ::sigabbrev_np(r.signal);
    return name ? std::string("was killed by SIG") + name
                : "was killed by signal " + std::to_string(r.signal);
  }
  return "did not end";
}

// The first lines of the command's stdout, for a failure report.
std::string head(std::string_view text, std::size_t lines) {
  std::string out;
  for (std::size_t n = 0; n < lines && !text.empty(); ++n) {
    const auto end = text.find('\n');
    out += "  " + printable(text.substr(0, end), 200) + "\n";
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  if (!text.empty()) out += "  ...\n";
  return out;
}

run_request request_for(const options& o, const expectation& e, const std::string& marker_entry) {
  run_request request;
  request.program = o.program;
  request.args.push_back(o.scenario);
  request.args.insert(request.args.end(), e.args.begin(), e.args.end());
  request.environment = command_environment(o.mode, e, o.env, marker_entry);
  request.stdin_bytes = e.stdin_bytes;
  request.timeout = e.timeout * o.timeout_scale;
  request.stop = e.terminate_with_ctrl_c ? stop_kind::ctrl_c : stop_kind::sigterm;
  if (e.terminate_after_output) {
    // The stdout seen so far: in json format each process's, decoded, joined in spawn order.
    auto watched = std::make_shared<tree_builder>();
    auto raw = std::make_shared<std::string>();
    request.terminate_when = [&e, watched, raw](std::string_view piece) {
      if (e.format == output_format::human) {
        *raw += piece;
        return matches_somewhere(*e.terminate_after_output, *raw);
      }
      watched->add(piece);
      return matches_somewhere(*e.terminate_after_output, watched->all_stdout());
    };
  }
  return request;
}

// Every way the run differs from the expectation; tree receives the rebuilt process tree.
std::vector<std::string> differences(const expectation& e, std::chrono::seconds timeout,
                                     const run_result& result,
                                     const std::vector<marked_process>& left, process_tree& tree) {
  std::vector<std::string> problems;
  if (result.timed_out)
    problems.push_back("the command did not end within " + std::to_string(timeout.count()) +
                       " s: its process group was killed");
  if (e.terminate_after_output && !result.terminated)
    problems.push_back("stdout never matched terminate_after_output /" + *e.terminate_after_output +
                       "/");
  for (const auto& p : left)
    problems.push_back("process " + std::to_string(p.os_pid) + " (" + p.command_line +
                       ") was still running " + std::to_string(leftover_patience.count()) +
                       " s after the command ended; it was killed");
  if (result.exit_code != e.exit_code)
    problems.push_back("the command " + ending(result) + ", expected exit code " +
                       std::to_string(e.exit_code));

  if (e.format == output_format::json) {
    if (!result.err.empty())
      problems.push_back("in json format stderr must be empty, got " + printable(result.err));
    tree = rebuild_tree(result.out);
    for (auto& p : tree.problems) problems.push_back("event stream: " + p);
    for (auto& p : compare_tree(*e.top, tree)) problems.push_back(p);
  } else {
    for (int i = 0; i < 2; ++i)
      for (auto& p : check_output(e.command_out[i], i == 0 ? result.out : result.err,
                                  i == 0 ? "stdout" : "stderr"))
        problems.push_back("the command's " + p);
  }
  return problems;
}

std::string failure_report(const options& o, const std::optional<cluster_access>& cluster,
                           const expectation& e, const run_result& result,
                           const std::vector<std::string>& problems, const process_tree& tree,
                           const char* took) {
  std::string report = "FAIL " + o.scenario + (cluster ? ", deployed" : "") + " (" + took + ")\n";
  report += "command: " + command_line(o, cluster, e) + "\n";
  if (cluster) report += "the daemons' logs: " + o.cluster_folder + "/logs/\n";
  report += "problems:\n";
  for (const auto& p : problems) report += "  - " + p + "\n";
  if (e.format == output_format::json) {
    report += "expected tree:\n" + describe(*e.top);
    report += "actual tree:\n" + describe(tree);
    report += "first lines of stdout:\n" + head(result.out, 40);
  } else {
    report += "stdout: " + printable(result.out, 2000) + "\n";
    report += "stderr: " + printable(result.err, 2000) + "\n";
  }
  return report;
}

int run(const options& o) {
  auto loaded = load_expectation(o.expect, o.mode);
  if (!loaded) usage(loaded.error());
  const expectation& e = *loaded;
  if (!e.not_in_this_mode.empty())
    usage(o.scenario + " runs locally only, because " + e.not_in_this_mode);
  std::optional<cluster_access> cluster;
  if (o.mode == run_mode::cluster) {
    auto found = find_cluster(o.cluster_folder, o.deploy);
    if (!found) usage(found.error());
    cluster = std::move(*found);
  }
  const std::string marker_entry = std::string(marker_name) + "=" + random_marker();

  const run_result result = run_program(o, cluster, e, request_for(o, e, marker_entry));
  const auto left = leftovers(o.mode, marker_entry);
  process_tree tree;
  const auto problems = differences(e, e.timeout * o.timeout_scale, result, left, tree);

  char took[32];
  std::snprintf(took, sizeof took, "%.2f s", static_cast<double>(result.duration.count()) / 1000);
  if (!problems.empty()) {
    std::fputs(failure_report(o, cluster, e, result, problems, tree, took).c_str(), stdout);
    return 1;
  }
  std::printf("PASS %s%s (%s", o.scenario.c_str(), cluster ? ", deployed" : "", took);
  if (e.format == output_format::json) std::printf(", %zu processes", tree.nodes.size());
  std::printf(")\n");
  return 0;
}

}  // namespace

}  // namespace e2e

int main(int argc, char** argv) {
  try {
    return e2e::run(e2e::parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "e2e_runner: " << e.what() << "\n";
    return 2;
  }
}
