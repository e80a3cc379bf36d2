#include "agent/local_job.hpp"

#include <constellation/errors.hpp>

#include "agent/listener.hpp"
#include "agent/node_processes.hpp"
#include "runtime/pid_access.hpp"
#include "wire/messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <map>

namespace constellation::agent {

namespace {
// After Ctrl-C or SIGTERM, how long processes get to end before everything is killed.
constexpr auto termination_grace = std::chrono::seconds(5);

struct reply_address {
  pid spawner;
  std::uint64_t request = 0;
};
}  // namespace

struct local_job::state {
  job_settings settings;
  std::unique_ptr<report::event_writer> writer;
  report::exit_code_rule rule;
  boost::asio::io_context io;
  boost::asio::signal_set stop_signals{io, SIGINT, SIGTERM, SIGHUP};
  boost::asio::signal_set child_signals{io, SIGCHLD};
  boost::asio::steady_timer grace{io};
  node_processes processes;
  std::shared_ptr<monitor_starter> starter;
  std::map<pid, reply_address> waiting_spawners;  // by the pid being started
  std::uint32_t next_serial = 2;                  // the top process is 1
  int stop_requests = 0;
  int stop_signal = SIGTERM;

  state(job_settings s, std::unique_ptr<report::event_writer> w)
      : settings(std::move(s)),
        writer(std::move(w)),
        processes(io, {[this](const report::process_event& e) { emit(e); },
                       [this](const pid& p, std::expected<void, std::string> started) {
                         on_started(p, std::move(started));
                       },
                       [this](const pid& p, std::uint8_t type, std::string_view payload) {
                         on_request(p, type, payload);
                       }}),
        starter(monitor_starter::create(io, settings.image, settings.method)) {
    // Started with the job, beside its top process, so that the first spawn finds it serving.
    starter->prestart();
  }

  void emit(const report::process_event& event) {
    writer->write(event);
    rule.observe(event);
    if (std::holds_alternative<report::exit_event>(event) && processes.all_done()) io.stop();
  }

  void on_request(const pid& from, std::uint8_t type, std::string_view payload) {
    switch (static_cast<wire::message_type>(type)) {
      case wire::message_type::spawn_request:
        if (auto request = wire::decode_message<wire::spawn_request>(payload))
          spawn(from, std::move(*request));
        return;
      case wire::message_type::peer_status_request:
        if (auto request = wire::decode_message<wire::peer_status_request>(payload))
          processes.reply(from, wire::encode_message(wire::peer_status_reply{
                                    request->request_id, status_of(request->who)}));
        return;
      default:
        return;
    }
  }

  wire::peer_status status_of(const pid& who) const {
    if (detail::pid_access::job(who) != settings.job) return wire::peer_status::unknown;
    return processes.status_of(who);
  }

  void refuse(const reply_address& to, spawn_errc why, std::string message) {
    processes.reply(to.spawner, wire::encode_message(wire::spawn_reply{
                                    to.request, pid{}, static_cast<std::uint8_t>(why),
                                    "constellation::spawn(): " + std::move(message)}));
  }

  void spawn(const pid& spawner, wire::spawn_request request) {
    const reply_address to{spawner, request.request_id};
    if (stop_requests > 0) return refuse(to, spawn_errc::launch_failed, "the job is ending");
    auto listener = open_listener();
    if (!listener) return refuse(to, spawn_errc::launch_failed, listener.error());

    wire::launch_spec spec;
    spec.what = wire::launch_spec::kind::function;
    spec.self =
        detail::pid_access::make(settings.job, next_serial++, listener->ipv4, listener->port);
    spec.parent = request.parent;
    spec.needs = request.needs;
    spec.entry = std::move(request.entry);
    spec.function = std::move(request.function);
    spec.arguments = std::move(request.arguments);
    spec.job_secret = settings.secret;
    spec.enforce_limits = settings.enforce_limits;
    spec.trapped = request.trap_exits;
    spec.fresh_exec = request.fresh_exec;
    waiting_spawners[spec.self] = to;
    processes.launch(*starter, spec, std::move(*listener));
  }

  void on_started(const pid& process, std::expected<void, std::string> started) {
    auto it = waiting_spawners.find(process);
    if (it == waiting_spawners.end()) return;
    const auto to = it->second;
    waiting_spawners.erase(it);
    if (!started) return refuse(to, spawn_errc::launch_failed, started.error());
    processes.reply(to.spawner,
                    wire::encode_message(wire::spawn_reply{to.request, process, 0, {}}));
    if (stop_requests > 0) processes.terminate(0, stop_requests > 1, stop_signal);
  }

  void wait_for_stop_signals() {
    stop_signals.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      ++stop_requests;
      if (stop_requests == 1) stop_signal = signal;
      // The processes get what the bridge got: Ctrl-C is SIGINT for all of them, as in a shell.
      processes.terminate(0, stop_requests > 1, stop_signal);
      if (stop_requests == 1) {
        grace.expires_after(termination_grace);
        grace.async_wait([this](const boost::system::error_code& timer_ec) {
          if (!timer_ec) processes.kill_everything();
        });
      }
      wait_for_stop_signals();
    });
  }

  // The bridge is the subreaper of the job: it reaps its monitors and any orphan of the tree.
  void reap_children() {
    child_signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      int status;
      while (::waitpid(-1, &status, WNOHANG) > 0) {
      }
      reap_children();
    });
  }
};

local_job::local_job(job_settings settings, std::unique_ptr<report::event_writer> writer)
    : state_(std::make_unique<state>(std::move(settings), std::move(writer))) {}

local_job::~local_job() = default;

void local_job::adopt_top(const wire::launch_spec& spec, pid_t monitor, int report_fd,
                          int control_fd) {
  state_->processes.adopt(spec, monitor, report_fd, control_fd);
}

int local_job::run() {
  ::signal(SIGPIPE, SIG_IGN);
  state_->wait_for_stop_signals();
  state_->reap_children();
  state_->io.run();
  int status;
  while (::waitpid(-1, &status, WNOHANG) > 0) {
  }
  return state_->rule.exit_code();
}

}  // namespace constellation::agent
