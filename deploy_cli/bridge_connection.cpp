#include "bridge_connection.hpp"

#include "cluster/authenticated_link.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/steady_timer.hpp>

namespace constellation::deploy {

namespace {

// What to look at when TCP connected but the handshake failed.
std::string handshake_hint(const cluster::link_failure& failure, const std::string& address,
                           const std::string& secret) {
  using cause = cluster::link_failure::cause;
  switch (failure.why) {
    case cause::closed_by_peer:
    case cause::lost:
      // A server that refuses says nothing and closes (which may arrive as a reset): the secret,
      // or a daemon of another kind.
      return "is " + address + " a bridge (not a fabric daemon), and does it use " + secret + "?";
    case cause::timed_out:
      return "something there took the connection but did not answer as a bridge does: is " +
             address + " a bridge's address?";
    case cause::refused:
      if (failure.refusal == wire::handshake_error::wrong_purpose)
        return "is " + address + " a bridge's address, not a fabric daemon's?";
      if (failure.refusal == wire::handshake_error::wrong_version)
        return "the bridge runs another version of constellation than this client";
      break;
    case cause::cannot_connect:
    case cause::crowded_out:
      break;
  }
  return "the bridge and this client must share the cluster's secret; this client used " + secret;
}

}  // namespace

std::string describe_connect_failure(std::string_view address, const cluster::link_failure& failure,
                                     std::string_view secret_path) {
  const std::string at = "the bridge at " + std::string(address);
  if (failure.why == cluster::link_failure::cause::cannot_connect)
    return "cannot connect to " + at + " (" + failure.detail +
           "): is constellation-bridge running there?";
  const std::string secret =
      "the secret in " + std::string(secret_path) + " (give another with --secret-file)";
  return "cannot authenticate with " + at + " (" + failure.text() +
         "): " + handshake_hint(failure, std::string(address), secret);
}

void connect_to_bridge(boost::asio::io_context& io, const cluster::endpoint& address,
                       const cluster::cluster_secret& secret, connected_handler on_connected,
                       connect_failed_handler on_failed) {
  // Shared by the link's callbacks and the deadline: whichever comes first answers, once.
  struct attempt {
    explicit attempt(boost::asio::io_context& io) : deadline(io) {}
    boost::asio::steady_timer deadline;
    connected_handler on_connected;
    connect_failed_handler on_failed;
    bool answered = false;
  };
  auto state = std::make_shared<attempt>(io);
  state->on_connected = std::move(on_connected);
  state->on_failed = std::move(on_failed);
  state->deadline.expires_after(connect_time_limit);
  state->deadline.async_wait([state, text = address.text](const boost::system::error_code& ec) {
    if (ec || state->answered) return;
    state->answered = true;
    state->on_failed("no answer from the bridge at " + text + " within " +
                     std::to_string(connect_time_limit.count()) +
                     " s: is the address right, and reachable from here?");
  });
  cluster::open_link(
      io, cluster::tcp_endpoint(address), {secret.bytes, wire::purpose::deploy, "deploy"},
      [state](std::shared_ptr<agent::frame_connection> connection, std::string,
              std::string already) {
        if (state->answered) return connection->close();
        state->answered = true;
        state->deadline.cancel();
        state->on_connected(std::move(connection), std::move(already));
      },
      [state, text = address.text, path = secret.path](const cluster::link_failure& failure) {
        if (state->answered) return;
        state->answered = true;
        state->deadline.cancel();
        state->on_failed(describe_connect_failure(text, failure, path));
      });
}

}  // namespace constellation::deploy
