#pragma once
// The master's link to every node's fabric: connects, waits for the node's verdict on this master
// (fabric_node.hpp: a node belongs to one master), reconnects every second to a node that is down
// or refused, and knows which binaries each node was sent. What a node says once it took this
// master goes to the handlers; what it means is the master's business (master.cpp).

#include "config/nodes_config.hpp"

#include "agent/frame_connection.hpp"
#include "cluster/log.hpp"
#include "cluster/repeat_limiter.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::fabric {

class node_links {
 public:
  struct handlers {
    // The node took this master (its bridge order is sent already).
    std::function<void(std::size_t node)> up;
    // A frame from a node that took this master.
    std::function<void(std::size_t node, std::uint8_t type, std::string_view payload)> frame;
    // The link of a node that was up is gone (logged already); it is being reconnected.
    std::function<void(std::size_t node)> lost;
  };

  // Nothing happens before start(). log must outlive the links.
  node_links(boost::asio::io_context& io, const cluster_config& config, std::string secret,
             const cluster::daemon_log& log, handlers on);
  node_links(const node_links&) = delete;
  node_links& operator=(const node_links&) = delete;

  // Connects to every node.
  void start();
  // Sends a frame to a node that is up; dropped otherwise.
  void send(std::size_t node, std::string frame);
  // A node that is up said something this master cannot read: closes its link, and the node is
  // lost.
  void malformed(std::size_t node);

  // Which binaries (by hash) the node was sent since it last came up.
  bool has_binary(std::size_t node, const std::string& hash) const;
  void sent_binary(std::size_t node, const std::string& hash);
  void forget_binary(std::size_t node, const std::string& hash);

 private:
  using connection_ptr = std::shared_ptr<agent::frame_connection>;
  struct link {
    node_config config;
    connection_ptr connection;  // once the node accepted this master
    std::unique_ptr<boost::asio::steady_timer> retry;
    std::set<std::string> binaries;  // hashes this node is known to have
  };

  // What this master calls itself to nodes: its LISTEN address, so that a node can tell it from
  // another master and belong to one only (fabric_node.hpp).
  const std::string& identity() const { return links_.front().config.fabric.text; }
  void connect(std::size_t index);
  void on_frame(std::size_t index, const connection_ptr& from, std::uint8_t type,
                std::string_view payload);
  void on_verdict(std::size_t index, const connection_ptr& c, const wire::master_verdict& verdict);
  void lose(std::size_t index, const std::string& why);
  void retry(std::size_t index);

  boost::asio::io_context& io_;
  std::string secret_;
  const cluster::daemon_log& log_;
  handlers on_;
  std::vector<link> links_;
  std::map<std::size_t, connection_ptr> pending_;  // by node: authenticated, awaiting its verdict
  cluster::repeat_limiter refusals_;
};

}  // namespace constellation::fabric
