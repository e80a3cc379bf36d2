#pragma once
// The bridge's one connection to the master: authenticated as purpose "bridge", opened at start
// and opened again, after a pause, whenever it fails or drops.

#include "agent/frame_connection.hpp"
#include "cluster/authenticated_link.hpp"
#include "cluster/endpoint.hpp"
#include "cluster/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace constellation::bridge {

class master_link {
 public:
  struct handlers {
    std::function<void()> connected;
    std::function<void(std::uint8_t type, std::string_view payload)> message;
    // A connection that was up is gone (the handler runs before the link tries again).
    std::function<void(const std::string& why)> lost;
  };

  // log must outlive the link.
  master_link(boost::asio::io_context& io, cluster::endpoint master,
              cluster::link_credentials credentials, const cluster::daemon_log& log, handlers h);

  // Connects; from then on keeps connecting until the loop stops.
  void start();
  bool connected() const { return connection_ != nullptr; }
  // Sends when connected; drops the bytes otherwise (the caller checks connected()).
  void send(std::string bytes);
  // Drops the connection, for a message from the master that makes no sense; reconnects later.
  void reset(const std::string& why);
  // Why the link is down, to follow "the bridge ": "cannot reach the master at ...: why".
  const std::string& last_problem() const { return last_problem_; }
  const std::string& address() const { return master_.text; }

 private:
  void connect();
  void retry_later();
  void on_lost(const std::string& why);

  boost::asio::io_context& io_;
  cluster::endpoint master_;
  cluster::link_credentials credentials_;
  const cluster::daemon_log& log_;
  handlers handlers_;
  boost::asio::steady_timer retry_;
  std::shared_ptr<agent::frame_connection> connection_;
  std::uint64_t attempt_ = 0;  // callbacks of an older attempt are ignored
  int failures_ = 0;           // in a row; the first is logged as a warning, later ones as debug
  std::string last_problem_;
};

}  // namespace constellation::bridge
