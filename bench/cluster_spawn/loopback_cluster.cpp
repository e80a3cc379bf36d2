#include "loopback_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace cluster_spawn {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* addresses[] = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};
// The master first and largest: it places each process on the first node with room, so the
// benchmark's short-lived children stay on the master's node.
constexpr const char* memories[] = {"2 GiB", "1 GiB", "512 MiB"};
constexpr const char* cpus[] = {"2", "1", "0.5"};
constexpr int attempts = 3;
constexpr auto ready_within = 20s;
constexpr auto stop_grace = 15s;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts argv[0] with its output appended to output, stdin from /dev/null, and this process's
// environment without any CONSTELLATION_ setting (the runtime's own among them) and with TMPDIR
// set to tmp, so that the daemons' and the bridge's files stay in the cluster's folder.
pid_t start_process(const std::vector<std::string>& argv, const fs::path& output,
                    const fs::path& tmp) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    if (!entry.starts_with("CONSTELLATION_") && !entry.starts_with("TMPDIR="))
      env.emplace_back(entry);
  }
  env.push_back("TMPDIR=" + tmp.string());
  std::vector<char*> argv_c, env_c;
  for (const auto& a : argv) argv_c.push_back(const_cast<char*>(a.c_str()));
  argv_c.push_back(nullptr);
  for (auto& e : env) env_c.push_back(e.data());
  env_c.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t child = -1;
  const int error =
      ::posix_spawn(&child, argv_c[0], &actions, nullptr, argv_c.data(), env_c.data());
  ::posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  return child;
}

// The wait status of child once it exited, or nullopt if it still runs after timeout.
std::optional<int> wait_exit(pid_t child, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) return status;
    if (done < 0 && errno != EINTR) return 0;  // not our child any more: nothing to wait for
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

// Runs argv to completion with its output in output; the exit code, or -1 when it had to be
// killed after timeout or was killed by a signal.
int run(const std::vector<std::string>& argv, const fs::path& output, const fs::path& tmp,
        std::chrono::steady_clock::duration timeout) {
  fs::remove(output);
  const pid_t child = start_process(argv, output, tmp);
  auto status = wait_exit(child, timeout);
  if (!status) {
    ::kill(child, SIGKILL);
    wait_exit(child, 5s);
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

}  // namespace

loopback_cluster::loopback_cluster(std::string fabric_program, std::string deploy_program)
    : fabric_(std::move(fabric_program)), deploy_(std::move(deploy_program)) {
  std::string pattern = (fs::temp_directory_path() / "cluster_spawn.XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  folder_ = pattern;
  fs::create_directories(folder_ / "tmp");
  {
    std::random_device random;
    std::ofstream secret(folder_ / "secret");
    fs::permissions(folder_ / "secret", fs::perms::owner_read | fs::perms::owner_write);
    for (int i = 0; i < 8; ++i) {
      char word[9];
      std::snprintf(word, sizeof word, "%08x", random());
      secret << word;
    }
  }
  // Ports below Linux's ephemeral range, spread by pid so that two runs seldom collide.
  for (int attempt = 1; attempt <= attempts; ++attempt)
    if (try_start(20000 + (::getpid() * 7 + attempt * 1009) % 12000)) return;
  keep_folder_ = true;
  throw std::runtime_error("no cluster came up after " + std::to_string(attempts) +
                           " attempts; see " + folder_.string() + "/node*.log");
}

loopback_cluster::~loopback_cluster() {
  stop();
  std::error_code ignored;
  if (!keep_folder_) fs::remove_all(folder_, ignored);
}

bool loopback_cluster::try_start(int port) {
  const int bridge_port = port + 1;
  bridge_address_ = std::string(addresses[0]) + ":" + std::to_string(bridge_port);
  {
    std::ofstream nodes(folder_ / "nodes.toml");
    for (int i = 0; i < 3; ++i) {
      nodes << "[[nodes]]\nfabric_addr = \"" << addresses[i] << ":" << port << "\"\n";
      if (i == 0) nodes << "bridge_bind = \"" << bridge_address_ << "\"\n";
      nodes << "mem = \"" << memories[i] << "\"\ncpu = " << cpus[i] << "\n";
    }
  }
  for (int i : {1, 2, 0}) {  // the master last, so that the others are there when it looks
    const std::string node = "node" + std::to_string(i + 1);
    std::vector<std::string> argv{fabric_,
                                  "--secret-file",
                                  (folder_ / "secret").string(),
                                  "--cache-dir",
                                  (folder_ / node).string(),
                                  std::string(addresses[i]) + ":" + std::to_string(port)};
    if (i == 0) argv.push_back((folder_ / "nodes.toml").string());
    daemons_.push_back(start_process(argv, folder_ / (node + ".log"), folder_ / "tmp"));
  }
  const auto deadline = std::chrono::steady_clock::now() + ready_within;
  while (std::chrono::steady_clock::now() < deadline) {
    for (pid_t daemon : daemons_)
      if (int status = 0;
          ::waitpid(daemon, &status, WNOHANG) == daemon) {  // a port in use, most likely
        std::fprintf(stderr, "cluster_spawn: a daemon exited on port %d; trying another\n", port);
        stop();
        return false;
      }
    if (all_nodes_up()) return true;
    std::this_thread::sleep_for(100ms);
  }
  std::fprintf(stderr, "cluster_spawn: the nodes were not up within 20 s on port %d\n", port);
  stop();
  return false;
}

bool loopback_cluster::all_nodes_up() {
  const fs::path output = folder_ / "status.json";
  if (run({deploy_, "status", "--format", "json", "--secret-file", (folder_ / "secret").string(),
           bridge_address_},
          output, folder_ / "tmp", 3s) != 0)
    return false;
  const std::string status = read_file(output);
  int up = 0;
  for (auto at = status.find("\"up\":true"); at != std::string::npos;
       at = status.find("\"up\":true", at + 1))
    ++up;
  return up == 3;
}

std::string loopback_cluster::deploy(const std::string& program,
                                     const std::vector<std::string>& args,
                                     std::chrono::seconds timeout) {
  std::vector<std::string> argv{
      deploy_,         "--format", "human", "--secret-file", (folder_ / "secret").string(),
      bridge_address_, program,    "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path output = folder_ / "deploy.out";
  const int code = run(argv, output, folder_ / "tmp", timeout);
  std::string text = read_file(output);
  if (code != 0) {
    keep_folder_ = true;
    throw std::runtime_error("constellation-deploy " +
                             std::string(code < 0 ? "timed out or was killed" : "failed") +
                             " (exit " + std::to_string(code) + "); its output:\n" + text);
  }
  return text;
}

void loopback_cluster::stop() {
  for (pid_t daemon : daemons_) ::kill(daemon, SIGTERM);
  for (pid_t daemon : daemons_)
    if (!wait_exit(daemon, stop_grace)) {
      std::fprintf(stderr, "cluster_spawn: daemon %d still ran %lld s after SIGTERM; killed\n",
                   daemon, static_cast<long long>(stop_grace.count()));
      ::kill(daemon, SIGKILL);
      wait_exit(daemon, 5s);
      keep_folder_ = true;
    }
  daemons_.clear();
}

}  // namespace cluster_spawn
