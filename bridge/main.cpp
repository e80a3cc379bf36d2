// constellation-bridge: a thin main over bridge_daemon (see bridge_daemon.hpp).
#include "bridge_daemon.hpp"
#include "bridge_options.hpp"

#include "cluster/binary_cache.hpp"
#include "cluster/bridge_exit.hpp"
#include "cluster/endpoint.hpp"
#include "cluster/large_buffers.hpp"
#include "cluster/secret.hpp"

#include <boost/asio/signal_set.hpp>

#include <signal.h>

#include <cstdio>

using namespace constellation;

namespace {

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "constellation-bridge: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options =
      bridge::parse_bridge_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) return fail(options.error() + "\n" + bridge::bridge_usage, 2);
  if (options->help) {
    std::fputs(bridge::bridge_usage, stdout);
    return 0;
  }
  auto listen = cluster::parse_endpoint(options->listen);
  if (!listen) return fail("LISTEN: " + listen.error(), 2);
  auto master = cluster::parse_endpoint(options->master);
  if (!master) return fail("MASTER_ADDR: " + master.error(), 2);

  auto secret = cluster::resolve_secret(options->secret_file);
  if (!secret) return fail(secret.error(), 1);
  if (!cluster::is_loopback(*listen) && !secret->chosen)
    return fail(
        "refusing to listen on " + listen->text +
            ", which other machines can reach, with the per-user default secret " + secret->path +
            ": give the cluster's secret with --secret-file F (or CONSTELLATION_SECRET_FILE)",
        1);

  auto cache = cluster::binary_cache::open(
      options->cache_dir.value_or(bridge::default_cache_dir(listen->port)));
  if (!cache) return fail(cache.error(), 1);

  // A client that vanishes mid-write must cost a failed write, not the daemon.
  ::signal(SIGPIPE, SIG_IGN);
  cluster::return_large_buffers();
  boost::asio::io_context io;
  const cluster::daemon_log log("bridge", options->json_log, options->log_level);
  bridge::bridge_daemon daemon(
      io, {*listen, *master, secret->bytes, bridge::default_master_wait, options->cache_bounds},
      std::move(*cache), log);
  if (auto started = daemon.start(); !started)
    return fail(started.error(), cluster::bridge_cannot_listen_status);

  boost::asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log.info(std::string("stopping on ") + (signal == SIGINT ? "SIGINT" : "SIGTERM"));
    io.stop();
  });
  io.run();
  return 0;
}
