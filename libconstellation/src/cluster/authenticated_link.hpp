#pragma once
// Opening and accepting the daemons' TCP connections: the handshake with the cluster secret first,
// bounded in time, then a frame connection. Nothing from a peer is acted on before it succeeded.

#include "agent/frame_connection.hpp"
#include "cluster/link_failure.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace constellation::cluster {

// already_received: bytes that followed the handshake; pass them to connection->start().
using ready_handler = std::function<void(std::shared_ptr<agent::frame_connection> connection,
                                         std::string peer_identity, std::string already_received)>;
// Called instead when the link did not come up; failure.why says why. Only a refusal (another
// secret, purpose or protocol version) is not mended by trying again.
using failure_handler = std::function<void(const link_failure& failure)>;

struct link_credentials {
  std::string secret;
  std::string purpose;
  std::string identity;
};

// Server side: authenticates an accepted socket.
void accept_link(boost::asio::ip::tcp::socket socket, const link_credentials& credentials,
                 ready_handler on_ready, failure_handler on_failed);

// Server side for a port that serves several kinds of client: on_ready also gets the purpose the
// client proved.
using any_ready_handler = std::function<void(std::shared_ptr<agent::frame_connection> connection,
                                             std::string peer_identity, std::string purpose,
                                             std::string already_received)>;
void accept_link_any(boost::asio::ip::tcp::socket socket, const std::string& secret,
                     const std::vector<std::string>& purposes, const std::string& identity,
                     any_ready_handler on_ready, failure_handler on_failed);

// Client side: connects to host:port and authenticates.
void open_link(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& to,
               const link_credentials& credentials, ready_handler on_ready,
               failure_handler on_failed);

// "1.2.3.4:5678" of a socket's peer, for log lines.
std::string peer_text(const boost::asio::ip::tcp::socket& socket);
// "1.2.3.4" of a socket's peer: what a peer's repeated attempts have in common (the port changes).
std::string peer_host(const boost::asio::ip::tcp::socket& socket);

}  // namespace constellation::cluster
