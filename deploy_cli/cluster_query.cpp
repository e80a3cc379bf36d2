#include "cluster_query.hpp"

#include "bridge_connection.hpp"
#include "jobs_format.hpp"
#include "run_problem.hpp"
#include "status_format.hpp"

#include "wire/cluster_messages.hpp"

#include <boost/asio/steady_timer.hpp>

#include <signal.h>

#include <functional>

namespace constellation::deploy {

namespace {

// Sends `query` and hands the payload of the answer of type `Answer` to `show`, which returns the
// exit code. job_finished instead is the bridge's way of saying it cannot answer
// (bridge_daemon.hpp).
template <class Answer>
int ask(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
        report::output_format format, std::string query,
        const std::function<int(const Answer&)>& show) {
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

  boost::asio::steady_timer deadline(io, query_time_limit);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec)
      finish(1, "no answer from the bridge at " + bridge.text + " within " +
                    std::to_string(query_time_limit.count()) + " s");
  });
  connect_to_bridge(
      io, bridge, secret,
      [&](std::shared_ptr<agent::frame_connection> c, std::string already) {
        connection = c;
        connection->start(
            [&](std::uint8_t type, std::string_view payload) {
              if (done) return;
              if (type == static_cast<std::uint8_t>(Answer::type)) {
                auto answer = wire::decode_message<Answer>(payload);
                if (!answer) return finish(1, "the bridge sent a malformed answer");
                return finish(show(*answer), {});
              }
              if (static_cast<wire::cluster_type>(type) == wire::cluster_type::job_finished) {
                auto finished = wire::decode_message<wire::job_finished>(payload);
                return finish(
                    1, finished ? finished->problem : "the bridge sent a malformed job_finished");
              }
              finish(1, "the bridge sent a message of unexpected type " + std::to_string(type));
            },
            [&](const agent::connection_end& end) {
              finish(1,
                     "lost the connection to the bridge at " + bridge.text + " (" + end.text + ")");
            },
            std::move(already));
        if (!done) connection->send(std::move(query));
      },
      [&](const std::string& problem) { finish(1, problem); });
  io.run();
  return code;
}

bool json(report::output_format format) {
  return format == report::output_format::json;
}

}  // namespace

int run_status(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
               report::output_format format) {
  return ask<wire::status_reply>(bridge, secret, format,
                                 wire::encode_message(wire::status_request{}),
                                 [&](const wire::status_reply& status) {
                                   report::write_all(1, json(format) ? format_status_json(status)
                                                                     : format_status_table(status));
                                   return 0;
                                 });
}

int run_jobs(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
             report::output_format format) {
  return ask<wire::jobs_reply>(
      bridge, secret, format, wire::encode_message(wire::jobs_request{}),
      [&](const wire::jobs_reply& jobs) {
        report::write_all(1, json(format) ? format_jobs_json(jobs) : format_jobs_table(jobs));
        return 0;
      });
}

int run_kill(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
             report::output_format format, const std::string& job) {
  return ask<wire::kill_job_reply>(
      bridge, secret, format, wire::encode_message(wire::kill_job_request{job}),
      [&](const wire::kill_job_reply& reply) {
        if (reply.job == 0) {
          show_problem(format, reply.problem);
          return 1;
        }
        report::write_all(1, json(format) ? format_kill_json(reply) : format_kill_text(reply));
        return 0;
      });
}

}  // namespace constellation::deploy
