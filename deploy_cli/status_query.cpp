#include "status_query.hpp"

#include "bridge_connection.hpp"
#include "run_problem.hpp"
#include "status_format.hpp"

#include "wire/cluster_messages.hpp"

#include <boost/asio/steady_timer.hpp>

#include <signal.h>

namespace constellation::deploy {

int run_status(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
               report::output_format format) {
  ::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io;
  int code = 1;
  bool done = false;
  std::shared_ptr<agent::frame_connection> connection;
  const auto finish = [&](int c, const std::string& problem) {
    if (done) return;
    done = true;
    code = c;
    if (!problem.empty()) show_problem(format, problem);
    if (connection) connection->close();
    io.stop();
  };

  boost::asio::steady_timer deadline(io, status_time_limit);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec)
      finish(1, "no status from the bridge at " + bridge.text + " within " +
                    std::to_string(status_time_limit.count()) + " s");
  });
  connect_to_bridge(
      io, bridge, secret,
      [&](std::shared_ptr<agent::frame_connection> c, std::string already) {
        connection = c;
        connection->start(
            [&](std::uint8_t type, std::string_view payload) {
              if (done) return;
              if (static_cast<wire::cluster_type>(type) == wire::cluster_type::status_reply) {
                auto reply = wire::decode_message<wire::status_reply>(payload);
                if (!reply) return finish(1, "the bridge sent a malformed status_reply");
                report::write_all(1, format == report::output_format::json
                                         ? format_status_json(*reply)
                                         : format_status_table(*reply));
                return finish(0, {});
              }
              if (static_cast<wire::cluster_type>(type) == wire::cluster_type::job_finished) {
                // The bridge's way of saying it cannot answer (bridge_daemon.hpp).
                auto finished = wire::decode_message<wire::job_finished>(payload);
                return finish(
                    1, finished ? finished->problem : "the bridge sent a malformed job_finished");
              }
              finish(1, "the bridge sent a message of unexpected type " + std::to_string(type));
            },
            [&](const std::string& why) {
              finish(1, "lost the connection to the bridge at " + bridge.text + " (" + why + ")");
            },
            std::move(already));
        if (!done) connection->send(wire::encode_message(wire::status_request{}));
      },
      [&](const std::string& problem) { finish(1, problem); });
  io.run();
  return code;
}

}  // namespace constellation::deploy
