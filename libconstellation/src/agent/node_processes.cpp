#include "agent/node_processes.hpp"

#include "agent/frame_connection.hpp"
#include "process/monitor.hpp"
#include "process/process_limits.hpp"
#include "runtime/pid_access.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

namespace constellation::agent {

struct node_processes::entry {
  wire::launch_spec spec;
  pid_t monitor = -1;
  pid_t os_pid = -1;
  std::shared_ptr<frame_connection> report;
  std::shared_ptr<frame_connection> control;
  bool started = false;
  bool exited = false;
  bool failed = false;  // never started
  bool eof[2] = {false, false};
  report::exit_status status;
  // Requests that arrived before the monitor reported the process started: handled after its
  // spawn event, so that no child of it is announced before it is.
  std::vector<std::pair<std::uint8_t, std::string>> early_requests;
  // The latest status line sent before the process was announced; older ones are dropped, so
  // that a process cannot make the agent queue them.
  std::optional<wire::progress_report> early_progress;

  bool done() const { return exited || failed; }
};

namespace {

// How often a dead monitor's cgroups are cleared, 20 ms apart, before they are left to the
// operator: processes killed leave their group within milliseconds unless stuck in the kernel.
constexpr int abandoned_group_tries = 100;

void clear_abandoned_groups(boost::asio::any_io_executor executor, std::string name,
                            int tries_left) {
  if (process::process_limits::clear_abandoned(name) || tries_left <= 1) return;
  auto timer = std::make_shared<boost::asio::steady_timer>(executor, std::chrono::milliseconds(20));
  timer->async_wait([executor, timer, name = std::move(name),
                     tries_left](const boost::system::error_code& ec) mutable {
    if (!ec) clear_abandoned_groups(executor, std::move(name), tries_left - 1);
  });
}

frame_connection::socket_type unix_socket(boost::asio::io_context& io, int fd) {
  return frame_connection::socket_type(
      io, boost::asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd);
}
}  // namespace

node_processes::node_processes(boost::asio::io_context& io, callbacks c)
    : io_(io), callbacks_(std::move(c)) {}
node_processes::~node_processes() = default;

void node_processes::launch(monitor_starter& starter, const wire::launch_spec& spec,
                            bound_listener listener, posix::unique_fd stdin_fd) {
  auto& e = processes_[spec.self];
  e = std::make_unique<entry>();
  e->spec = spec;
  int report[2], control[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report) != 0)
    return on_monitor(spec.self,
                      std::unexpected(std::string("socketpair: ") + std::strerror(errno)));
  posix::unique_fd report_ours(report[0]), report_theirs(report[1]);
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0)
    return on_monitor(spec.self,
                      std::unexpected(std::string("socketpair: ") + std::strerror(errno)));
  watch(*e, report_ours.release(), control[0]);
  starter.start(spec,
                {report_theirs.release(), control[1], listener.fd.release(), stdin_fd.release()},
                [this, self = spec.self](std::expected<pid_t, std::string> monitor) {
                  on_monitor(self, std::move(monitor));
                });
}

void node_processes::on_monitor(const pid& process, std::expected<pid_t, std::string> monitor) {
  auto* found = find(process);
  if (!found) return;
  auto& e = *found;
  if (monitor) {
    e.monitor = *monitor;
    return;
  }
  if (e.started || e.failed) return;
  e.failed = true;
  if (e.report) e.report->close();
  if (e.control) e.control->close();
  if (callbacks_.on_started) callbacks_.on_started(process, std::unexpected(monitor.error()));
  ended(process);
}

void node_processes::adopt(const wire::launch_spec& spec, pid_t monitor, int report_fd,
                           int control_fd) {
  auto& e = processes_[spec.self];
  e = std::make_unique<entry>();
  e->spec = spec;
  e->monitor = monitor;
  watch(*e, report_fd, control_fd);
}

void node_processes::watch(entry& e, int report_fd, int control_fd) {
  const pid self = e.spec.self;
  e.report = std::make_shared<frame_connection>(unix_socket(io_, report_fd));
  e.report->start(
      [this, self](std::uint8_t type, std::string_view payload) { on_report(self, type, payload); },
      [this, self](const connection_end&) { on_report_closed(self); });
  e.control = std::make_shared<frame_connection>(unix_socket(io_, control_fd));
  e.control->start(
      [this, self](std::uint8_t type, std::string_view payload) {
        auto* found = find(self);
        if (!found) return;
        auto& process = *found;
        if (type == static_cast<std::uint8_t>(wire::message_type::progress))
          return on_progress(process, payload);
        if (!process.started) {
          process.early_requests.emplace_back(type, std::string(payload));
          return;
        }
        if (callbacks_.on_request) callbacks_.on_request(self, type, payload);
      },
      [](const connection_end&) {});
}

void node_processes::on_progress(entry& e, std::string_view payload) {
  auto m = wire::decode_message<wire::progress_report>(payload);
  if (!m || e.done()) return;
  if (!e.started) {
    e.early_progress = std::move(*m);
    return;
  }
  callbacks_.on_event(
      report::progress_event{e.spec.self, m->clear, std::move(m->text), std::move(m->figures)});
}

void node_processes::reply(const pid& process, std::string frame) {
  auto it = processes_.find(process);
  if (it != processes_.end() && it->second->control) it->second->control->send(std::move(frame));
}

void node_processes::on_report(const pid& process, std::uint8_t type, std::string_view payload) {
  auto* found = find(process);
  if (!found) return;
  auto& e = *found;
  switch (static_cast<wire::message_type>(type)) {
    case wire::message_type::started: {
      auto m = wire::decode_message<wire::started_report>(payload);
      if (!m || e.started || e.failed) return;
      e.started = true;
      e.os_pid = m->os_pid;
      callbacks_.on_event(report::spawn_event{e.spec.parent, e.spec.self, e.spec.trapped});
      if (callbacks_.on_started) callbacks_.on_started(process, {});
      if (auto early = std::exchange(e.early_progress, std::nullopt))
        callbacks_.on_event(report::progress_event{
            e.spec.self, early->clear, std::move(early->text), std::move(early->figures)});
      for (auto& [request_type, request] : std::exchange(e.early_requests, {}))
        if (callbacks_.on_request) callbacks_.on_request(process, request_type, request);
      // Its reports from now on are output, or come after it.
      if (held_jobs_.contains(detail::pid_access::job(process)) && e.report)
        e.report->pause_reading();
      return;
    }
    case wire::message_type::launch_failed: {
      auto m = wire::decode_message<wire::launch_failed_report>(payload);
      if (e.started || e.failed) return;
      e.failed = true;
      if (callbacks_.on_started)
        callbacks_.on_started(
            process, std::unexpected(m ? m->message : std::string("the process could not start")));
      ended(process);
      return;
    }
    case wire::message_type::output: {
      auto m = wire::decode_message<wire::output_report>(payload);
      if (m && e.started && !e.exited && (m->fd == 1 || m->fd == 2) && !e.eof[m->fd - 1])
        callbacks_.on_event(report::output_event{e.spec.self, m->fd, std::move(m->data)});
      return;
    }
    case wire::message_type::eof: {
      auto m = wire::decode_message<wire::eof_report>(payload);
      if (m && e.started && (m->fd == 1 || m->fd == 2)) close_output(e, m->fd);
      return;
    }
    case wire::message_type::exited: {
      auto m = wire::decode_message<wire::exit_report>(payload);
      if (m && e.started && !e.exited) finish(e, m->status, std::move(m->reason));
      return;
    }
    default:
      return;
  }
}

void node_processes::close_output(entry& e, int fd) {
  if (e.eof[fd - 1]) return;
  e.eof[fd - 1] = true;
  callbacks_.on_event(report::eof_event{e.spec.self, fd});
}

void node_processes::finish(entry& e, report::exit_status status, std::string reason) {
  close_output(e, 1);
  close_output(e, 2);
  e.exited = true;
  e.status = status;
  if (e.control) e.control->close();
  callbacks_.on_event(report::exit_event{e.spec.self, status, std::move(reason)});
  ended(e.spec.self);
}

void node_processes::on_report_closed(const pid& process) {
  auto* found = find(process);
  if (!found) return;
  auto& e = *found;
  if (!e.started && !e.failed) {
    e.failed = true;
    if (callbacks_.on_started)
      callbacks_.on_started(process,
                            std::unexpected("the new process's monitor exited before starting it"));
    ended(process);
  } else if (e.started && !e.exited) {
    // The monitor died without reporting (the OOM killer, kill -9): its process was killed with it
    // (PR_SET_PDEATHSIG), but not the helpers the process started, nor the cgroups the monitor
    // would have removed. The helpers are in the process's group (a deployed process leads one)
    // and in its cgroups, unless they left both.
    if (e.os_pid > 0) {
      ::kill(e.os_pid, SIGKILL);
      ::kill(-e.os_pid, SIGKILL);
    }
    if (e.spec.enforce_limits && e.monitor > 0)
      clear_abandoned_groups(io_.get_executor(), process::limits_name(e.spec, e.monitor),
                             abandoned_group_tries);
    finish(e, report::exit_status{report::exit_status::kind::signal, SIGKILL},
           "its monitor was killed");
  }
}

void node_processes::terminate(std::uint64_t job, bool immediately, int signal) {
  for (auto& [p, e] : processes_)
    if ((job == 0 || detail::pid_access::job(p) == job) && e->started && !e->exited && e->report)
      e->report->send(wire::encode_message(wire::terminate_order{immediately, signal}));
}

void node_processes::kill_everything() {
  for (auto& [p, e] : processes_) {
    if (e->done()) continue;
    if (e->os_pid > 0) ::kill(e->os_pid, SIGKILL);
    if (e->monitor > 0) ::kill(e->monitor, SIGKILL);
  }
}

void node_processes::hold_output(std::uint64_t job, bool hold) {
  if (hold ? !held_jobs_.insert(job).second : (job != 0 && held_jobs_.erase(job) == 0)) return;
  if (!hold && job == 0) held_jobs_.clear();
  for (auto& [p, e] : processes_) {
    if ((job != 0 && detail::pid_access::job(p) != job) || !e->started || !e->report) continue;
    if (hold)
      e->report->pause_reading();
    else
      e->report->resume_reading();
  }
}

node_processes::entry* node_processes::find(const pid& process) {
  auto it = processes_.find(process);
  return it == processes_.end() ? nullptr : it->second.get();
}

void node_processes::forget_job(std::uint64_t job) {
  forgotten_jobs_.insert(job);
  forget_ended(job);
}

void node_processes::ended(const pid& process) {
  if (forgotten_jobs_.contains(detail::pid_access::job(process)))
    forget_ended(detail::pid_access::job(process));
}

void node_processes::forget_ended(std::uint64_t job) {
  boost::asio::post(io_, [this, job] {
    bool live = false;
    for (auto it = processes_.begin(); it != processes_.end();) {
      auto& e = *it->second;
      if (detail::pid_access::job(it->first) != job || !e.done()) {
        live = live || detail::pid_access::job(it->first) == job;
        ++it;
        continue;
      }
      // Closed, so that no handler of theirs looks for the record once it is gone.
      if (e.report) e.report->close();
      if (e.control) e.control->close();
      it = processes_.erase(it);
    }
    if (!live) forgotten_jobs_.erase(job);
  });
}

bool node_processes::all_done() const {
  for (auto& [p, e] : processes_)
    if (!e->done()) return false;
  return true;
}

std::size_t node_processes::live_processes(std::uint64_t job) const {
  std::size_t n = 0;
  for (auto& [p, e] : processes_)
    if (!e->done() && (job == 0 || detail::pid_access::job(p) == job)) ++n;
  return n;
}

wire::peer_status node_processes::status_of(const pid& process) const {
  auto it = processes_.find(process);
  if (it == processes_.end()) return wire::peer_status::unknown;
  const auto& e = *it->second;
  if (e.failed) return wire::peer_status::unknown;
  if (!e.exited) return wire::peer_status::alive;
  return e.status.how == report::exit_status::kind::signal ? wire::peer_status::died
                                                           : wire::peer_status::exited;
}

}  // namespace constellation::agent
