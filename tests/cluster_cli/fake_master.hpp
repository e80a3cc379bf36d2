#pragma once
// A stand-in for the master, for testing the bridge and constellation-deploy before (and apart
// from) the fabric: it accepts the bridge's link (purpose "bridge") and hands every message to
// the test's script. Runs on the test's loop; the script runs there too.

#include "cluster/authenticated_link.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cluster_cli_test {

class fake_master {
 public:
  using script =
      std::function<void(fake_master& master, std::uint8_t type, std::string_view payload)>;

  fake_master(boost::asio::io_context& io, std::string secret, script on_message)
      : acceptor_(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}),
        secret_(std::move(secret)),
        on_message_(std::move(on_message)) {
    accept();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // On the loop only (from the script).
  template <class Message>
  void send(const Message& m) {
    if (connection_) connection_->send(constellation::wire::encode_message(m));
  }
  void drop() {
    if (connection_) connection_->close();
    connection_.reset();
  }

  // The types of the messages received, in order; from any thread.
  std::vector<std::uint8_t> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }

 private:
  void accept() {
    acceptor_.async_accept(
        [this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
          if (ec) return;
          constellation::cluster::accept_link(
              std::move(socket), {secret_, constellation::wire::purpose::bridge, "master"},
              [this](std::shared_ptr<constellation::agent::frame_connection> c, std::string,
                     std::string already) {
                connection_ = c;
                {
                  std::lock_guard lock(mutex_);
                  ++connections_;
                }
                c->start(
                    [this](std::uint8_t type, std::string_view payload) {
                      {
                        std::lock_guard lock(mutex_);
                        received_.push_back(type);
                      }
                      on_message_(*this, type, payload);
                    },
                    [](const constellation::agent::connection_end&) {}, std::move(already));
              },
              [](const constellation::cluster::link_failure&) {});
          accept();
        });
  }

  boost::asio::ip::tcp::acceptor acceptor_;
  std::string secret_;
  script on_message_;
  std::shared_ptr<constellation::agent::frame_connection> connection_;
  mutable std::mutex mutex_;
  std::vector<std::uint8_t> received_;
  int connections_ = 0;
};

}  // namespace cluster_cli_test
