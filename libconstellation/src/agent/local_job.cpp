#include "agent/local_job.hpp"

#include <constellation/errors.hpp>

#include "agent/frame_connection.hpp"
#include "agent/listener.hpp"
#include "runtime/pid_access.hpp"
#include "wire/messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

namespace constellation::agent {

namespace {

// After Ctrl-C or SIGTERM, how long processes get to end before everything is killed.
constexpr auto termination_grace = std::chrono::seconds(5);

struct reply_address {
  std::uint32_t spawner = 0;  // serial of the process that asked
  std::uint64_t request = 0;
};

struct process_entry {
  pid self;
  pid parent;
  pid_t monitor = -1;
  pid_t os_pid = -1;
  std::shared_ptr<frame_connection> report;
  std::shared_ptr<frame_connection> control;
  bool started = false;
  bool exited = false;
  bool failed = false;  // never started
  bool eof[2] = {false, false};
  report::exit_status exit_status;
  std::optional<reply_address> reply_to;

  bool done() const { return exited || failed; }
};

frame_connection::socket_type unix_socket(boost::asio::io_context& io, int fd) {
  return frame_connection::socket_type(io, boost::asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd);
}

}  // namespace

struct local_job::state {
  job_settings settings;
  std::unique_ptr<report::event_writer> writer;
  report::exit_code_rule rule;
  boost::asio::io_context io;
  boost::asio::signal_set stop_signals{io, SIGINT, SIGTERM, SIGHUP};
  boost::asio::signal_set child_signals{io, SIGCHLD};
  boost::asio::steady_timer grace{io};
  std::map<std::uint32_t, process_entry> processes;
  std::uint32_t next_serial = 2;  // the top process is 1
  int stop_requests = 0;

  state(job_settings s, std::unique_ptr<report::event_writer> w) : settings(std::move(s)), writer(std::move(w)) {}

  void emit(const report::process_event& event) {
    writer->write(event);
    rule.observe(event);
  }

  void watch(std::uint32_t serial, int report_fd, int control_fd) {
    auto& entry = processes.at(serial);
    entry.report = std::make_shared<frame_connection>(unix_socket(io, report_fd));
    entry.report->start([this, serial](std::uint8_t type, std::string_view payload) { on_report(serial, type, payload); },
                        [this, serial](const std::string&) { on_report_closed(serial); });
    entry.control = std::make_shared<frame_connection>(unix_socket(io, control_fd));
    entry.control->start([this, serial](std::uint8_t type, std::string_view payload) { on_control(serial, type, payload); },
                         [](const std::string&) {});
  }

  void on_control(std::uint32_t serial, std::uint8_t type, std::string_view payload) {
    switch (static_cast<wire::message_type>(type)) {
      case wire::message_type::spawn_request:
        if (auto request = wire::decode_message<wire::spawn_request>(payload)) spawn(serial, std::move(*request));
        return;
      case wire::message_type::peer_status_request:
        if (auto request = wire::decode_message<wire::peer_status_request>(payload))
          processes.at(serial).control->send(wire::encode_message(wire::peer_status_reply{request->request_id, status_of(request->who)}));
        return;
      default:
        return;
    }
  }

  wire::peer_status status_of(const pid& who) const {
    if (detail::pid_access::job(who) != settings.job) return wire::peer_status::unknown;
    auto it = processes.find(detail::pid_access::serial(who));
    if (it == processes.end() || it->second.self != who) return wire::peer_status::unknown;
    const auto& entry = it->second;
    if (!entry.exited) return entry.failed ? wire::peer_status::unknown : wire::peer_status::alive;
    return entry.exit_status.how == report::exit_status::kind::signal ? wire::peer_status::died : wire::peer_status::exited;
  }

  void reply(const std::optional<reply_address>& to, wire::spawn_reply message) {
    if (!to) return;
    auto it = processes.find(to->spawner);
    if (it == processes.end() || !it->second.control) return;
    message.request_id = to->request;
    it->second.control->send(wire::encode_message(message));
  }

  void refuse(const reply_address& to, spawn_errc why, std::string message) {
    reply(to, wire::spawn_reply{0, pid{}, static_cast<std::uint8_t>(why), std::move(message)});
  }

  void spawn(std::uint32_t spawner, wire::spawn_request request) {
    const reply_address to{spawner, request.request_id};
    if (stop_requests > 0) return refuse(to, spawn_errc::launch_failed, "constellation::spawn(): the job is ending");

    auto listener = open_listener();
    if (!listener) return refuse(to, spawn_errc::launch_failed, "constellation::spawn(): " + listener.error());
    int report[2], control[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report) != 0) {
      ::close(listener->fd);
      return refuse(to, spawn_errc::launch_failed, std::string("constellation::spawn(): socketpair: ") + std::strerror(errno));
    }
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) {
      for (int fd : {listener->fd, report[0], report[1]}) ::close(fd);
      return refuse(to, spawn_errc::launch_failed, std::string("constellation::spawn(): socketpair: ") + std::strerror(errno));
    }

    const std::uint32_t serial = next_serial++;
    process::launch_spec spec;
    spec.what = process::launch_spec::kind::function;
    spec.self = detail::pid_access::make(settings.job, serial, listener->ipv4, listener->port);
    spec.parent = request.parent;
    spec.needs = request.needs;
    spec.entry = std::move(request.entry);
    spec.function = std::move(request.function);
    spec.arguments = std::move(request.arguments);
    spec.job_secret = settings.secret;
    spec.enforce_limits = settings.enforce_limits;

    auto monitor = process::launch_monitor(settings.image, spec, {report[1], control[1], listener->fd, -1});
    for (int fd : {report[1], control[1], listener->fd}) ::close(fd);
    if (!monitor) {
      ::close(report[0]);
      ::close(control[0]);
      return refuse(to, spawn_errc::launch_failed, "constellation::spawn(): " + monitor.error());
    }
    auto& entry = processes[serial];
    entry.self = spec.self;
    entry.parent = spec.parent;
    entry.monitor = *monitor;
    entry.reply_to = to;
    watch(serial, report[0], control[0]);
  }

  void on_report(std::uint32_t serial, std::uint8_t type, std::string_view payload) {
    auto& entry = processes.at(serial);
    switch (static_cast<wire::message_type>(type)) {
      case wire::message_type::started: {
        auto m = wire::decode_message<wire::started_report>(payload);
        if (!m || entry.started) return;
        entry.started = true;
        entry.os_pid = m->os_pid;
        emit(report::spawn_event{entry.parent, entry.self});
        reply(entry.reply_to, wire::spawn_reply{0, entry.self, 0, {}});
        entry.reply_to.reset();
        if (stop_requests > 0) entry.report->send(wire::encode_message(wire::terminate_order{stop_requests > 1}));
        return;
      }
      case wire::message_type::launch_failed: {
        auto m = wire::decode_message<wire::launch_failed_report>(payload);
        if (entry.started) return;
        entry.failed = true;
        if (entry.reply_to)
          refuse(*entry.reply_to, spawn_errc::launch_failed,
                 "constellation::spawn(): " + (m ? m->message : std::string("the process could not start")));
        entry.reply_to.reset();
        return;
      }
      case wire::message_type::output: {
        auto m = wire::decode_message<wire::output_report>(payload);
        if (m && entry.started && !entry.exited && (m->fd == 1 || m->fd == 2) && !entry.eof[m->fd - 1])
          emit(report::output_event{entry.self, m->fd, std::move(m->data)});
        return;
      }
      case wire::message_type::eof: {
        auto m = wire::decode_message<wire::eof_report>(payload);
        if (m && entry.started && (m->fd == 1 || m->fd == 2)) close_output(entry, m->fd);
        return;
      }
      case wire::message_type::exited: {
        auto m = wire::decode_message<wire::exit_report>(payload);
        if (!m || !entry.started || entry.exited) return;
        finish(entry, m->status, std::move(m->reason));
        return;
      }
      default:
        return;
    }
  }

  void close_output(process_entry& entry, int fd) {
    if (entry.eof[fd - 1]) return;
    entry.eof[fd - 1] = true;
    emit(report::eof_event{entry.self, fd});
  }

  void finish(process_entry& entry, report::exit_status status, std::string reason) {
    close_output(entry, 1);
    close_output(entry, 2);
    entry.exited = true;
    entry.exit_status = status;
    emit(report::exit_event{entry.self, status, std::move(reason)});
    if (entry.control) entry.control->close();
    check_end();
  }

  void on_report_closed(std::uint32_t serial) {
    auto& entry = processes.at(serial);
    if (!entry.started && !entry.failed) {
      entry.failed = true;
      if (entry.reply_to)
        refuse(*entry.reply_to, spawn_errc::launch_failed,
               "constellation::spawn(): the new process's monitor exited before starting it");
      entry.reply_to.reset();
    } else if (entry.started && !entry.exited) {
      // The monitor died without reporting: its process was killed with it (PR_SET_PDEATHSIG).
      if (entry.os_pid > 0) ::kill(entry.os_pid, SIGKILL);
      finish(entry, report::exit_status{report::exit_status::kind::signal, SIGKILL}, "its monitor was killed");
    }
    check_end();
  }

  void check_end() {
    for (auto& [serial, entry] : processes)
      if (!entry.done()) return;
    io.stop();
  }

  void stop_all(bool immediately) {
    for (auto& [serial, entry] : processes)
      if (entry.started && !entry.exited && entry.report) entry.report->send(wire::encode_message(wire::terminate_order{immediately}));
  }

  void kill_everything() {
    for (auto& [serial, entry] : processes) {
      if (entry.done()) continue;
      if (entry.os_pid > 0) ::kill(entry.os_pid, SIGKILL);
      if (entry.monitor > 0) ::kill(entry.monitor, SIGKILL);
    }
  }

  void wait_for_stop_signals() {
    stop_signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      ++stop_requests;
      stop_all(stop_requests > 1);
      if (stop_requests == 1) {
        grace.expires_after(termination_grace);
        grace.async_wait([this](const boost::system::error_code& timer_ec) {
          if (timer_ec) return;
          kill_everything();
          stop_requests = 2;
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

void local_job::adopt_top(const process::launch_spec& spec, pid_t monitor, int report_fd, int control_fd) {
  auto& entry = state_->processes[detail::pid_access::serial(spec.self)];
  entry.self = spec.self;
  entry.monitor = monitor;
  state_->watch(detail::pid_access::serial(spec.self), report_fd, control_fd);
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
