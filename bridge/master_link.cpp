#include "master_link.hpp"

#include <algorithm>

namespace constellation::bridge {

namespace {
// The pause before connecting again grows with failures in a row, up to this.
constexpr auto longest_pause = std::chrono::seconds(5);
}  // namespace

master_link::master_link(boost::asio::io_context& io, cluster::endpoint master,
                         cluster::link_credentials credentials, const cluster::daemon_log& log,
                         handlers h)
    : io_(io),
      master_(std::move(master)),
      credentials_(std::move(credentials)),
      log_(log),
      handlers_(std::move(h)),
      retry_(io),
      last_problem_("has not reached the master at " + master_.text + " yet") {}

void master_link::start() {
  connect();
}

void master_link::connect() {
  const auto attempt = ++attempt_;
  cluster::open_link(
      io_, cluster::tcp_endpoint(master_), credentials_,
      [this, attempt](std::shared_ptr<agent::frame_connection> connection, std::string,
                      std::string already_received) {
        if (attempt != attempt_) return connection->close();
        connection_ = connection;
        failures_ = 0;
        last_problem_.clear();
        log_.info("connected to the master at " + master_.text);
        connection->start([this](std::uint8_t type,
                                 std::string_view payload) { handlers_.message(type, payload); },
                          [this, attempt](const agent::connection_end& end) {
                            if (attempt == attempt_) on_lost(end.text);
                          },
                          std::move(already_received));
        if (connection_ == connection) handlers_.connected();
      },
      [this, attempt](const cluster::link_failure& failure) {
        if (attempt != attempt_) return;
        last_problem_ = "cannot reach the master at " + master_.text + ": " + failure.text();
        if (failures_++ == 0)
          log_.warn(last_problem_ + "; trying again");
        else
          log_.debug(last_problem_);
        retry_later();
      });
}

void master_link::retry_later() {
  retry_.expires_after(std::min<std::chrono::steady_clock::duration>(
      std::chrono::seconds(failures_), longest_pause));
  retry_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect();
  });
}

void master_link::send(std::string bytes) {
  if (connection_) connection_->send(std::move(bytes));
}

void master_link::reset(const std::string& why) {
  if (!connection_) return;
  connection_->close();
  on_lost(why);
}

void master_link::on_lost(const std::string& why) {
  connection_.reset();
  ++attempt_;
  last_problem_ = "lost the connection to the master at " + master_.text + " (" + why + ")";
  log_.warn(last_problem_);
  failures_ = 1;
  handlers_.lost(last_problem_);
  retry_later();
}

}  // namespace constellation::bridge
