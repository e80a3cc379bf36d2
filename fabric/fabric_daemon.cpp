#include "fabric_daemon.hpp"

#include "config/nodes_config.hpp"
#include "http/http_server.hpp"
#include "master/master.hpp"
#include "metrics/daemon_counters.hpp"
#include "metrics/metrics_exposition.hpp"
#include "node/fabric_node.hpp"
#include "status/status_json.hpp"
#include "status/status_page.hpp"
#include "supervision/bridge_supervisor.hpp"
#include "supervision/ordered_bridge.hpp"

#include "cluster/accept_pause.hpp"
#include "cluster/authenticated_link.hpp"
#include "cluster/binary_cache.hpp"
#include "cluster/endpoint.hpp"
#include "cluster/large_buffers.hpp"
#include "cluster/log.hpp"
#include "cluster/repeat_limiter.hpp"
#include "cluster/secret.hpp"
#include "process/process_limits.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

namespace constellation::fabric {

const char* const daemon_help =
    "usage: constellation-fabric [--secret-file F] [--log-format human|json] [-v|-q] [--cache-dir "
    "D]\n"
    "                            [--cache-max-bytes SIZE] [--cache-max-age AGE]\n"
    "                            [--advertise IPV4] [--http HTTP_LISTEN] LISTEN [NODES_TOML]\n"
    "Runs the processes of deployed programs on this node; with NODES_TOML, is also the cluster's\n"
    "master: places processes on the nodes the file lists and starts the bridge at its "
    "bridge_bind;\n"
    "every other node runs the bridge at its own entry's bridge_bind when the master asks it to.\n"
    "  LISTEN            IPv4:port this daemon listens on, e.g. 10.0.0.2:7001 (0.0.0.0 needs "
    "--advertise)\n"
    "  NODES_TOML        the cluster file, its first entry this daemon (see nodes.example.toml)\n"
    "  --secret-file F   the cluster's secret, 32+ random bytes, mode 600 (default: "
    "CONSTELLATION_SECRET_FILE,\n"
    "                    else ~/.constellation/secret, which allows loopback addresses only)\n"
    "  --log-format F    the log's format on stderr: human (default) or json (--format: the same)\n"
    "  -v, -q            log debug lines too, or warnings only\n"
    "  --cache-dir D     where binaries sent here are kept (default "
    "${TMPDIR:-/tmp}/constellation-<uid>/fabric-<port>)\n"
    "  --cache-max-bytes SIZE  what each cache of this daemon (and of a bridge it starts) may\n"
    "                    hold: 512M, 2G, \"1.5 GiB\" or unlimited (default 2G); the least\n"
    "                    recently used binaries go first, those of running jobs never\n"
    "  --cache-max-age AGE  how long a binary nobody runs is kept: 7d, 12h, 30m or unlimited\n"
    "                    (default 7d)\n"
    "  --advertise IPV4  the address other nodes reach this one at, when LISTEN is 0.0.0.0\n"
    "  --http HTTP_LISTEN  IPv4:port to serve, read-only, the status page (/), its data "
    "(/status.json)\n"
    "                    and Prometheus metrics (/metrics); off by default; beyond loopback only "
    "with a\n"
    "                    --secret-file (the pages show every job's command line)\n"
    "Exit status: 0 after SIGTERM or SIGINT, 2 for a bad argument, secret or cluster file, 1 when "
    "it\n"
    "cannot run. See constellation-fabric(8).\n";

namespace asio = boost::asio;

namespace {

constexpr const char* usage =
    "usage: constellation-fabric [--secret-file F] [--log-format human|json] [-v|-q] [--cache-dir "
    "D] "
    "[--cache-max-bytes SIZE] [--cache-max-age AGE] [--advertise IPV4] [--http HTTP_LISTEN] "
    "LISTEN [NODES_TOML]";

// A peer that fails the handshake again and again (another secret, a scanner) is logged once a
// minute, with the count of attempts in between.
constexpr auto refusal_log_interval = std::chrono::seconds(60);

// constellation-bridge lives beside constellation-fabric once installed, and in ../bridge/ in a
// build tree.
std::optional<std::string> find_bridge_program() {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return std::nullopt;
  const std::filesystem::path dir =
      std::filesystem::path(std::string(self, static_cast<std::size_t>(n))).parent_path();
  for (const auto& candidate :
       {dir / "constellation-bridge", dir.parent_path() / "bridge" / "constellation-bridge"})
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  return std::nullopt;
}

// constellation-bridge's arguments, for the master's own bridge and for one a node runs: this
// daemon's secret, logging and cache bounds, the bridge's address and the master's.
std::vector<std::string> bridge_arguments(const daemon_arguments& arguments,
                                          const std::string& secret_file, const std::string& bind,
                                          const std::string& master) {
  std::vector<std::string> args{"--secret-file", secret_file};
  if (arguments.json_log) args.insert(args.end(), {"--log-format", "json"});
  if (arguments.log_level == cluster::log_level::debug) args.push_back("-v");
  if (arguments.log_level == cluster::log_level::warn) args.push_back("-q");
  args.insert(args.end(), arguments.cache_flags.begin(), arguments.cache_flags.end());
  args.insert(args.end(), {bind, master});
  return args;
}

}  // namespace

std::optional<daemon_arguments> parse_daemon_arguments(const std::vector<std::string>& args,
                                                       std::string& error) {
  daemon_arguments parsed;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        error = std::string(name) + " needs a value\n" + usage;
        return std::nullopt;
      }
      return args[++i];
    };
    if (a == "--secret-file") {
      if (!(parsed.secret_file = value("--secret-file"))) return std::nullopt;
    } else if (a == "--log-format" || a == "--format") {  // --format: the older name
      auto f = value(a.c_str());
      if (!f) return std::nullopt;
      if (*f != "human" && *f != "json") {
        error = a + " must be human or json, not " + *f + "\n" + usage;
        return std::nullopt;
      }
      parsed.json_log = *f == "json";
    } else if (a == "--advertise") {
      if (!(parsed.advertise = value("--advertise"))) return std::nullopt;
    } else if (a == "--http") {
      if (!(parsed.http_listen = value("--http"))) return std::nullopt;
    } else if (a == "--cache-dir") {
      if (!(parsed.cache_folder = value("--cache-dir"))) return std::nullopt;
    } else if (a == "--cache-max-bytes" || a == "--cache-max-age") {
      const auto v = value(a.c_str());
      if (!v) return std::nullopt;
      if (auto applied = cluster::apply_cache_flag(a, *v, parsed.cache_bounds); !applied) {
        error = applied.error() + "\n" + usage;
        return std::nullopt;
      }
      parsed.cache_flags.insert(parsed.cache_flags.end(), {a, *v});
    } else if (a == "-v" || a == "--verbose") {
      parsed.log_level = cluster::log_level::debug;
    } else if (a == "-q" || a == "--quiet") {
      parsed.log_level = cluster::log_level::warn;
    } else if (a == "-h" || a == "--help") {
      parsed.help = true;
      return parsed;
    } else if (a.starts_with("-")) {
      error = "unknown option " + a + "\n" + usage;
      return std::nullopt;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty() || positional.size() > 2) {
    error =
        std::string(positional.empty() ? "LISTEN is missing" : "too many arguments") + "\n" + usage;
    return std::nullopt;
  }
  parsed.listen = positional[0];
  if (positional.size() == 2) parsed.nodes_toml = positional[1];
  return parsed;
}

int run_daemon(const daemon_arguments& arguments) {
  cluster::return_large_buffers();
  cluster::daemon_log log("fabric", arguments.json_log, arguments.log_level);
  auto listen = cluster::parse_endpoint(arguments.listen);
  if (!listen) {
    std::fprintf(stderr, "constellation-fabric: LISTEN: %s\n", listen.error().c_str());
    return 2;
  }
  auto secret = cluster::resolve_secret(arguments.secret_file);
  if (!secret) {
    std::fprintf(stderr, "constellation-fabric: %s\n", secret.error().c_str());
    return 2;
  }
  if (!secret->chosen && !cluster::is_loopback(*listen)) {
    std::fprintf(
        stderr,
        "constellation-fabric: refusing to listen on %s without a shared secret: this daemon runs "
        "the "
        "binaries it is sent. Give one with --secret-file F or CONSTELLATION_SECRET_FILE (F: 32+ "
        "bytes, "
        "mode 600, e.g. (umask 077; openssl rand -hex 32 > F)), or listen on a loopback address\n",
        listen->text.c_str());
    return 2;
  }
  // The address in the pids of this node's processes: LISTEN's, or --advertise's. A wildcard LISTEN
  // names no address a peer can connect to, so it needs --advertise: otherwise the pids would
  // carry 0.0.0.0 and processes on two such nodes could never reach each other.
  cluster::endpoint advertised = *listen;
  if (arguments.advertise) {
    auto parsed =
        cluster::parse_endpoint(*arguments.advertise + ":" + std::to_string(listen->port));
    if (!parsed || parsed->ipv4 == 0) {
      std::fprintf(stderr,
                   "constellation-fabric: --advertise %s: expected the IPv4 address other nodes "
                   "reach this one at, such as 10.0.0.2 (its fabric_addr in nodes.toml, without "
                   "the port)\n",
                   arguments.advertise->c_str());
      return 2;
    }
    advertised = std::move(*parsed);
  } else if (listen->ipv4 == 0) {
    std::fprintf(stderr,
                 "constellation-fabric: LISTEN %s names no address other nodes can connect to, and "
                 "the processes started here are reached at the address this daemon gives them: "
                 "add --advertise IPV4 with the address the master and the other nodes reach this "
                 "node at (its fabric_addr in nodes.toml), or listen on that address\n",
                 listen->text.c_str());
    return 2;
  }
  std::optional<cluster::endpoint> http_listen;
  if (arguments.http_listen) {
    auto parsed = cluster::parse_endpoint(*arguments.http_listen);
    if (!parsed) {
      std::fprintf(stderr, "constellation-fabric: --http: %s\n", parsed.error().c_str());
      return 2;
    }
    if (!secret->chosen && !cluster::is_loopback(*parsed)) {
      std::fprintf(
          stderr,
          "constellation-fabric: refusing to serve HTTP on %s without a shared secret: the status "
          "page "
          "and /metrics show every job's command line and every node. Give the cluster's secret "
          "with "
          "--secret-file F, or serve on a loopback address (and reach it through an SSH tunnel)\n",
          parsed->text.c_str());
      return 2;
    }
    http_listen = std::move(*parsed);
  }
  std::optional<cluster_config> config;
  if (arguments.nodes_toml) {
    auto loaded = load_nodes_toml(*arguments.nodes_toml);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().c_str());
      return 2;
    }
    auto problem = master_entry_problem(*loaded, advertised);
    if (!problem && !secret->chosen) problem = loopback_only_problem(*loaded);
    if (problem) {
      std::fprintf(stderr, "%s\n", problem->c_str());
      return 2;
    }
    config = std::move(*loaded);
  }

  // Before any process starts: under a service manager that delegated the daemon's cgroup, the
  // groups of the processes it runs go inside it.
  if (const auto cgroups = process::use_delegated_cgroup(); cgroups.delegated) {
    log.info(cgroups.note);
  } else if (!cgroups.note.empty()) {
    log.debug(cgroups.note);
  }

  ::signal(SIGPIPE, SIG_IGN);
  // A monitor whose fork server died is reparented here rather than to init, and reaped below.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  const auto at = cluster::tcp_endpoint(*listen);
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "constellation-fabric: cannot listen on %s: %s\n", listen->text.c_str(),
                 ec.message().c_str());
    return 1;
  }

  const std::string name = "fabric-" + listen->text;
  const std::string cache_root =
      arguments.cache_folder.value_or(cluster::binary_cache::default_dir(name));
  auto binaries = cluster::binary_cache::open(cache_root + "/binaries");
  if (!binaries) {
    std::fprintf(stderr, "constellation-fabric: %s\n", binaries.error().c_str());
    return 1;
  }
  std::optional<cluster::binary_cache> jobs_cache;
  if (config) {
    auto opened = cluster::binary_cache::open(cache_root + "/jobs");
    if (!opened) {
      std::fprintf(stderr, "constellation-fabric: %s\n", opened.error().c_str());
      return 1;
    }
    jobs_cache = std::move(*opened);
  }
  metrics::daemon_counters counters;
  const cluster::binary_cache node_cache = *binaries;
  const auto bridge_program = find_bridge_program();
  const auto bridge_args = [&](const std::string& bind, const std::string& master) {
    return bridge_arguments(arguments, secret->path, bind, master);
  };
  ordered_bridge node_bridge(io.get_executor(), log, bridge_program, bridge_args, secret->chosen);
  log.info("binaries cached in " + cache_root + ": " + cluster::describe(arguments.cache_bounds) +
           " per cache");
  fabric_node node(
      io,
      {*listen, advertised.ipv4, secret->bytes, std::move(*binaries), arguments.cache_bounds,
       [&](const std::string& bind, const std::string& master) {
         node_bridge.order(bind, master);
       }},
      log, counters);
  std::optional<cluster::binary_cache> master_cache = jobs_cache;
  std::unique_ptr<master> the_master;
  std::vector<std::string> purposes{wire::purpose::fabric};
  std::optional<bridge_supervisor> bridge;
  if (config) {
    the_master = std::make_unique<master>(io, *config, secret->bytes, std::move(*jobs_cache),
                                          arguments.cache_bounds, log, counters);
    purposes.push_back(wire::purpose::bridge);
    if (const auto& bind = config->nodes.front().bridge) {
      if (!bridge_program) {
        log.warn("cannot start the bridge at " + bind->text +
                 ": constellation-bridge is not beside this program");
      } else {
        bridge.emplace(io.get_executor(), log, *bridge_program,
                       bridge_args(bind->text, advertised.text), bind->text);
        bridge->start();
      }
    }
  }

  cluster::repeat_limiter refusals(refusal_log_interval);
  cluster::accept_pause accept_pause(io.get_executor(), log, "connections on " + listen->text);
  std::function<void()> accept_next = [&] {
    acceptor.async_accept(
        [&](const boost::system::error_code& accept_ec, asio::ip::tcp::socket socket) {
          if (accept_ec == asio::error::operation_aborted || !acceptor.is_open()) return;
          // Out of descriptors, most likely: accepting again at once would fail at once.
          if (accept_ec) return accept_pause.failed(accept_ec, [&] { accept_next(); });
          accept_pause.succeeded();
          const std::string peer = cluster::peer_text(socket);
          const std::string host = cluster::peer_host(socket);
          cluster::accept_link_any(
              std::move(socket), secret->bytes, purposes, advertised.text,
              [&, peer](std::shared_ptr<agent::frame_connection> c, std::string identity,
                        std::string purpose, std::string rest) {
                log.debug("authenticated " + purpose + " connection from " + peer + " (" +
                          identity + ")");
                if (purpose == wire::purpose::fabric) {
                  node.adopt_master(std::move(c), std::move(identity), peer, std::move(rest));
                } else if (the_master) {
                  the_master->adopt_bridge(std::move(c), std::move(rest));
                }
              },
              [&log, &refusals, &counters, peer, host](const cluster::link_failure& failure) {
                counters.authentication_failed();
                // Keyed by host: a peer retrying comes from a new port each time.
                const auto verdict = refusals.occurred(host, std::chrono::steady_clock::now());
                if (verdict.log)
                  log.warn("refused a connection from " + peer + ": " + failure.text() +
                           cluster::repeat_limiter::note(verdict));
              });
          accept_next();
        });
  };
  accept_next();
  if (the_master) the_master->start();

  std::unique_ptr<http::server> http_server;
  if (http_listen) {
    auto serve = [&](const http::request& r) -> http::response {
      if (r.path == "/" || r.path == "/index.html")
        return {200, "text/html; charset=utf-8", std::string(status_page_html), {}};
      std::optional<cluster_snapshot> cluster;
      if (the_master && (r.path == "/status.json" || r.path == "/metrics"))
        cluster = the_master->snapshot();
      if (r.path == "/status.json")
        return {200,
                "application/json",
                status_json(node.figures(), cluster ? &*cluster : nullptr),
                {}};
      if (r.path == "/metrics") {
        std::vector<cache_figures> caches;
        const auto n = node_cache.current_usage();
        caches.push_back({"node", n.binaries, n.bytes, node.binaries_evicted()});
        if (master_cache) {
          const auto m = master_cache->current_usage();
          caches.push_back({"master", m.binaries, m.bytes, the_master->binaries_evicted()});
        }
        return {200,
                metrics::exposition_content_type,
                metrics::metrics_exposition(counters, node.figures(), caches,
                                            cluster ? &*cluster : nullptr),
                {}};
      }
      return {404,
              "text/plain; charset=utf-8",
              "not found: this daemon serves /, /status.json and /metrics\n",
              {}};
    };
    auto started = http::server::start(io, *http_listen, serve, log);
    if (!started) {
      std::fprintf(stderr, "constellation-fabric: %s\n", started.error().c_str());
      return 1;
    }
    http_server = std::move(*started);
    log.info("serving the status page and /metrics at http://" + http_listen->text + "/");
  }
  log.info(std::string("listening on ") + listen->text +
           (advertised != *listen ? ", reached at " + advertised.text : std::string()) +
           (the_master ? " as the master" : ""));

  // Reap the monitors and fork servers this daemon started, the monitors orphaned by a fork
  // server's death, and the bridge.
  asio::signal_set children(io, SIGCHLD);
  std::function<void()> reap = [&] {
    children.async_wait([&](const boost::system::error_code& signal_ec, int) {
      if (signal_ec) return;
      int status;
      pid_t done;
      while ((done = ::waitpid(-1, &status, WNOHANG)) > 0)
        if (!(bridge && bridge->on_child_exit(done, status)))
          node_bridge.on_child_exit(done, status);
      reap();
    });
  };
  reap();

  // Stopping: every process ends first, so that a restart leaves no orphan.
  asio::signal_set stop(io, SIGINT, SIGTERM);
  asio::steady_timer deadline(io), poll(io);
  int stops = 0;
  std::function<void()> wait_idle = [&] {
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const boost::system::error_code& poll_ec) {
      if (poll_ec) return;
      if (node.idle()) return io.stop();
      wait_idle();
    });
  };
  std::function<void()> wait_stop = [&] {
    stop.async_wait([&](const boost::system::error_code& signal_ec, int) {
      if (signal_ec) return;
      ++stops;
      log.info(stops == 1 ? "stopping: ending every process" : "stopping now");
      acceptor.close();
      accept_pause.cancel();
      if (http_server) http_server->stop();
      if (the_master) the_master->end_all_jobs(stops > 1);
      node.stop_all(stops > 1);
      if (bridge) bridge->stop();
      node_bridge.stop();
      if (stops == 1) {
        deadline.expires_after(std::chrono::seconds(5));
        deadline.async_wait([&](const boost::system::error_code& timer_ec) {
          if (timer_ec) return;
          node.stop_all(true);
          io.stop();
        });
        wait_idle();
      }
      wait_stop();
    });
  };
  wait_stop();
  io.run();
  return 0;
}

}  // namespace constellation::fabric
