#pragma once
// constellation-deploy's connection to a bridge: TCP, then the handshake with the cluster's secret
// (purpose "deploy"), bounded in time as a whole, with failures told in words that name the
// bridge's address and, when the handshake failed, the secret file used.

#include "agent/frame_connection.hpp"
#include "cluster/endpoint.hpp"
#include "cluster/link_failure.hpp"
#include "cluster/secret.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace constellation::deploy {

// Reaching the bridge takes at most this; an address that drops packets fails after it.
inline constexpr auto connect_time_limit = std::chrono::seconds(15);

using connected_handler = std::function<void(std::shared_ptr<agent::frame_connection> connection,
                                             std::string already_received)>;
using connect_failed_handler = std::function<void(std::string problem)>;

// Calls exactly one of the handlers, on io's loop.
void connect_to_bridge(boost::asio::io_context& io, const cluster::endpoint& address,
                       const cluster::cluster_secret& secret, connected_handler on_connected,
                       connect_failed_handler on_failed);

// The problem to show for a failure of cluster::open_link, with a hint chosen by its cause. Pure.
std::string describe_connect_failure(std::string_view address, const cluster::link_failure& failure,
                                     std::string_view secret_path);

}  // namespace constellation::deploy
