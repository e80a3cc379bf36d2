#include "master/master.hpp"

#include "metrics/daemon_counters.hpp"
#include "placement/placement.hpp"

#include "cluster/authenticated_link.hpp"
#include "cluster/cache_pruner.hpp"
#include "cluster/repeat_limiter.hpp"
#include "runtime/pid_access.hpp"
#include "wire/cluster_messages.hpp"
#include "wire/counter_name.hpp"

#include <constellation/errors.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace constellation::fabric {

namespace asio = boost::asio;
using detail::pid_access;
using connection_ptr = std::shared_ptr<agent::frame_connection>;

namespace {

constexpr auto reconnect_interval = std::chrono::seconds(1);
// Ended jobs the master still lists (constellation-deploy jobs), the newest first.
constexpr std::size_t ended_jobs_kept = 50;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How a process ended, as the jobs list shows it: "exit 0", "SIGKILL".
std::string describe(const report::exit_status& status) {
  return (status.how == report::exit_status::kind::code ? "exit " : "") + to_string(status);
}

// A node that keeps refusing (another secret, another master) is retried every second; saying so
// once a minute is enough to lead to the cause.
constexpr auto refusal_log_interval = std::chrono::seconds(60);

template <class Message>
void send(const connection_ptr& c, const Message& m) {
  if (c && c->open()) c->send(wire::encode_message(m));
}

std::string describe(const resources& r) {
  return to_string(r);
}

// Job ids as the bridge and deploy client print them.
std::string job_name(std::uint64_t job) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(job));
  return text;
}

}  // namespace

struct master::state {
  struct node_link {
    node_config config;
    connection_ptr connection;  // once the node accepted this master
    bool up = false;
    std::unique_ptr<asio::steady_timer> retry;
    std::set<std::string> binaries;  // hashes this node is known to have
  };

  struct process_record {
    std::size_t node = 0;
    resources needs;
    pid parent;  // null for a job's top process
    bool exited = false;
    report::exit_status status;
    bool eof[2] = {false, false};
  };

  // Who asked for a launch: the bridge (the top process) or a process (a spawn).
  struct launch_request {
    std::uint64_t job = 0;
    wire::launch_spec spec;
    std::optional<pid> spawner;
    std::uint64_t spawner_request = 0;
    std::size_t node = 0;
    int binary_resends = 0;
    std::chrono::steady_clock::time_point sent;  // the launch order's, for the latency metric
  };

  struct job_record {
    wire::program_description program;
    connection_ptr bridge;
    std::map<pid, process_record> processes;
    std::uint32_t next_serial = 2;  // the top process is 1
    std::size_t launching = 0;      // launches placed or waiting, not yet started or failed
    std::optional<pid> top;
    std::vector<std::string> early_stdin;  // framed stdin_data / stdin_eof, until the top runs
    // Output forwarded to the bridge and not yet credited by it, in the order forwarded: which
    // node it came from and how many bytes (runs from one node merged), so that the bridge's
    // credit goes back to the nodes it belongs to (wire/cluster_messages.hpp, "Flow control").
    std::deque<std::pair<std::size_t, std::uint64_t>> output_in_flight;
    bool ending = false;
    int end_signal = SIGTERM;
    bool awaiting_binary = false;
    resources top_needs;
    std::string client;
    std::int64_t started_ms = 0;
    std::map<std::string, double> counters;  // reported by its processes (add_to_counter)
  };

  struct ended_job {
    wire::job_summary summary;
    std::map<std::string, double> counters;
  };

  asio::io_context& io;
  cluster_config config;
  std::string secret;
  cluster::binary_cache cache;
  const cluster::daemon_log& log;
  metrics::daemon_counters& counters;
  placement slots;
  std::vector<node_link> nodes;
  std::map<std::uint64_t, job_record> jobs;
  std::map<std::uint64_t, launch_request> launches;  // by request id, sent to a node
  std::map<std::uint64_t, launch_request> waiting;   // by placement ticket
  std::map<std::size_t, connection_ptr> pending;     // by node: authenticated, awaiting its verdict
  std::uint64_t next_request = 1;
  std::deque<ended_job> ended_jobs;  // the newest first
  cluster::repeat_limiter refusals{refusal_log_interval};
  cluster::cache_pruner pruner;

  state(asio::io_context& i, cluster_config c, std::string s, cluster::binary_cache b,
        cluster::cache_bounds bounds, const cluster::daemon_log& l, metrics::daemon_counters& m)
      : io(i),
        config(std::move(c)),
        secret(std::move(s)),
        cache(std::move(b)),
        log(l),
        counters(m),
        pruner(io.get_executor(), cache, bounds, log, "the master's cache",
               [this] { return binaries_in_use(); }) {
    for (const auto& n : config.nodes) {
      slots.add_node(to_capacity(resources{n.mem, n.cpu}), false);
      nodes.push_back(node_link{n, nullptr, false, std::make_unique<asio::steady_timer>(io), {}});
    }
  }

  // The binaries of the jobs not yet ended, awaiting theirs included: a node may ask for one again.
  std::set<std::string> binaries_in_use() const {
    std::set<std::string> in_use;
    for (const auto& [id, job] : jobs) in_use.insert(job.program.binary_hash);
    return in_use;
  }

  // ---- nodes ----

  // What this master calls itself to nodes: its LISTEN address, so that a node can tell it from
  // another master and belong to one only (fabric_node.hpp).
  const std::string& identity() const { return config.nodes.front().fabric.text; }

  void connect(std::size_t index) {
    auto& n = nodes[index];
    asio::ip::tcp::endpoint to(asio::ip::address_v4(n.config.fabric.ipv4), n.config.fabric.port);
    cluster::open_link(
        io, to, {secret, wire::purpose::fabric, identity()},
        [this, index](connection_ptr c, std::string, std::string rest) {
          // Not up yet: the node says first whether it takes this master.
          c->start(
              [this, index, weak = std::weak_ptr(c)](std::uint8_t type, std::string_view payload) {
                on_node_frame(index, weak.lock(), type, payload);
              },
              [this, index, weak = std::weak_ptr(c)](const agent::connection_end& end) {
                if (nodes[index].connection == weak.lock()) return node_lost(index, end.text);
                log.debug("node " + nodes[index].config.fabric.text +
                          " closed the link before taking it: " + end.text);
                retry(index);
              },
              std::move(rest));
          pending[index] = c;
        },
        [this, index](const cluster::link_failure& failure) {
          const auto& address = nodes[index].config.fabric.text;
          if (failure.why == cluster::link_failure::cause::refused) {
            const auto verdict =
                refusals.occurred("auth " + address, std::chrono::steady_clock::now());
            if (verdict.log)
              log.warn("cannot authenticate with node " + address + " (" + failure.text() +
                       "): it holds another cluster secret, or is not a constellation-fabric; give "
                       "every daemon the same --secret-file" +
                       cluster::repeat_limiter::note(verdict));
          } else {
            log.debug("node " + address + " unreachable: " + failure.text());
          }
          retry(index);
        });
  }

  // The node's answer to this master, the first message on its link.
  void on_verdict(std::size_t index, const connection_ptr& c, const wire::master_verdict& verdict) {
    auto& node = nodes[index];
    auto it = pending.find(index);
    if (it == pending.end() || it->second != c) return;
    pending.erase(it);
    if (!verdict.accepted) {
      const auto logged =
          refusals.occurred("refused " + node.config.fabric.text, std::chrono::steady_clock::now());
      if (logged.log)
        log.warn("node " + node.config.fabric.text + " refused this master: " + verdict.problem +
                 cluster::repeat_limiter::note(logged));
      c->close();
      return retry(index);
    }
    node.connection = c;
    node.up = true;
    node.binaries.clear();
    slots.set_up(index, true);
    log.info("node " + node.config.fabric.text + " is up");
    // The master runs its own entry's bridge; any other entry's bridge_bind is served by its node.
    const auto& bind = node.config.bridge;
    c->send(wire::encode_message(
        wire::bridge_order{index > 0 && bind ? bind->text : std::string(), identity()}));
    admit_waiting();
  }

  void retry(std::size_t index) {
    auto& timer = *nodes[index].retry;
    timer.expires_after(reconnect_interval);
    timer.async_wait([this, index](const boost::system::error_code& ec) {
      if (!ec) connect(index);
    });
  }

  // A node that died or was cut off: its processes are reported as died, the master stops placing
  // there, and takes it back when it answers again.
  void node_lost(std::size_t index, const std::string& why) {
    auto& node = nodes[index];
    node.connection.reset();
    node.up = false;
    slots.set_up(index, false);
    log.warn("lost node " + node.config.fabric.text + " (" + why + ")");
    const std::string reason = "its node " + node.config.fabric.text + " was lost";
    for (auto it = launches.begin(); it != launches.end();) {
      if (it->second.node != index) {
        ++it;
        continue;
      }
      auto request = std::move(it->second);
      it = launches.erase(it);
      slots.release(index, request.spec.needs);
      launch_failed(request,
                    "the node " + node.config.fabric.text + " was lost while starting the process");
    }
    std::vector<std::uint64_t> ids;
    for (auto& [job, record] : jobs) ids.push_back(job);
    for (auto job : ids) {
      auto found = jobs.find(job);
      if (found == jobs.end()) continue;
      std::vector<pid> lost;
      for (auto& [p, process] : found->second.processes)
        if (process.node == index && !process.exited) lost.push_back(p);
      for (const auto& p : lost) {
        auto again = jobs.find(job);
        if (again == jobs.end()) break;
        auto& process = again->second.processes.at(p);
        for (int fd : {1, 2})
          if (!process.eof[fd - 1]) on_event(job, report::eof_event{p, fd});
        on_event(job, report::exit_event{p, {report::exit_status::kind::signal, SIGKILL}, reason});
      }
    }
    retry(index);
    admit_waiting();
  }

  void on_node_frame(std::size_t index, const connection_ptr& from, std::uint8_t type,
                     std::string_view payload) {
    if (from && nodes[index].connection != from) {
      // A link that is neither the node's nor awaiting its verdict is one given up: ignored.
      const auto awaiting = pending.find(index);
      if (awaiting == pending.end() || awaiting->second != from) return;
      // Before the verdict nothing else is taken from the node.
      if (type == static_cast<std::uint8_t>(wire::cluster_type::master_verdict))
        if (auto m = wire::decode_message<wire::master_verdict>(payload))
          return on_verdict(index, from, *m);
      log.warn("node " + nodes[index].config.fabric.text +
               " sent a message before taking this master: closing its link");
      pending.erase(awaiting);
      from->close();
      return retry(index);
    }
    switch (static_cast<wire::cluster_type>(type)) {
      case wire::cluster_type::launch_result:
        if (auto m = wire::decode_message<wire::launch_result>(payload))
          return on_launch_result(index, *m);
        break;
      case wire::cluster_type::job_event:
        if (auto m = wire::decode_message<wire::job_event>(payload)) {
          const pid subject = std::visit([](const auto& e) { return subject_of(e); }, m->event);
          if (const auto* output = std::get_if<report::output_event>(&m->event))
            output_sent(pid_access::job(subject), index, output->data.size());
          return on_event(pid_access::job(subject), std::move(m->event));
        }
        break;
      case wire::cluster_type::stdin_credit:
        if (auto m = wire::decode_message<wire::stdin_credit>(payload)) {
          if (auto job = jobs.find(m->job); job != jobs.end()) send(job->second.bridge, *m);
          return;
        }
        break;
      case wire::cluster_type::process_request:
        if (auto m = wire::decode_message<wire::process_request>(payload))
          return on_process_request(index, std::move(*m));
        break;
      default:
        break;
    }
    log.warn("node " + nodes[index].config.fabric.text +
             " sent a malformed message: closing its link");
    if (from) from->close();
    node_lost(index, "malformed message");
  }

  static pid subject_of(const report::spawn_event& e) { return e.child; }
  template <class Event>
  static pid subject_of(const Event& e) {
    return e.process;
  }

  // ---- launching ----

  void place(launch_request request, bool wait) {
    auto& job = jobs.at(request.job);
    counters.spawn_requested();
    auto decision = slots.request(request.spec.needs, wait);
    switch (decision.what) {
      case placement::outcome::placed:
        ++job.launching;
        request.node = decision.node;
        return send_launch(std::move(request));
      case placement::outcome::queued:
        counters.spawn_waited();
        ++job.launching;
        waiting.emplace(decision.ticket, std::move(request));
        return;
      case placement::outcome::no_capacity:
        return refuse(request, spawn_errc::no_capacity,
                      "no node has room for " + describe(request.spec.needs) +
                          " now; spawn() would wait for it");
      case placement::outcome::never_fits:
        return refuse(request, spawn_errc::never_fits,
                      "no node of the cluster can ever hold " + describe(request.spec.needs) +
                          ": ask for less");
    }
  }

  void admit_waiting() {
    for (auto admitted : slots.admit_waiting()) {
      auto it = waiting.find(admitted.ticket);
      if (it == waiting.end()) {
        continue;
      }
      auto request = std::move(it->second);
      waiting.erase(it);
      request.node = admitted.node;
      send_launch(std::move(request));
    }
  }

  void send_launch(launch_request request) {
    auto& node = nodes[request.node];
    auto& job = jobs.at(request.job);
    if (!node.up) {
      slots.release(request.node, request.spec.needs);
      return launch_failed(request, "the node " + node.config.fabric.text + " is down");
    }
    const auto id = next_request++;
    if (!node.binaries.contains(job.program.binary_hash)) {
      // Sent once per node: every later launch there names the binary by its hash only.
      auto bytes = cache.load(job.program.binary_hash);
      if (bytes) {
        send(node.connection, wire::binary_upload{job.program.binary_hash, std::move(*bytes)});
        node.binaries.insert(job.program.binary_hash);
      }
    }
    send(node.connection, wire::launch_order{id, request.spec, job.program});
    request.sent = std::chrono::steady_clock::now();
    launches.emplace(id, std::move(request));
  }

  void on_launch_result(std::size_t index, const wire::launch_result& result) {
    auto it = launches.find(result.request_id);
    if (it == launches.end()) return;
    auto request = std::move(it->second);
    launches.erase(it);
    counters.launch_answered(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request.sent).count(),
        static_cast<bool>(result.process));
    auto job_it = jobs.find(request.job);
    if (result.binary_missing && job_it != jobs.end() && request.binary_resends++ == 0) {
      // The node lost its copy (its cache was cleared): send it again, once.
      nodes[index].binaries.erase(job_it->second.program.binary_hash);
      return send_launch(std::move(request));
    }
    if (!result.process) {
      slots.release(index, request.spec.needs);
      admit_waiting();
      return launch_failed(request, result.problem);
    }
    if (job_it == jobs.end()) return;
    auto& job = job_it->second;
    --job.launching;
    job.processes[result.process] =
        process_record{index, request.spec.needs, request.spec.parent, false, {}, {false, false}};
    if (request.spec.what == wire::launch_spec::kind::top) {
      job.top = result.process;
      for (auto& frame : std::exchange(job.early_stdin, {}))
        if (nodes[index].connection) nodes[index].connection->send(std::move(frame));
    }
    if (request.spawner)
      reply_to_process(*request.spawner,
                       wire::spawn_reply{request.spawner_request, result.process, 0, {}});
    if (job.ending)
      send(nodes[index].connection, wire::end_job{request.job, false, job.end_signal});
  }

  void refuse(const launch_request& request, spawn_errc why, const std::string& message) {
    counters.spawn_refused(why == spawn_errc::no_capacity  ? "no_capacity"
                           : why == spawn_errc::never_fits ? "never_fits"
                                                           : "launch_failed");
    if (request.spawner) {
      reply_to_process(*request.spawner, wire::spawn_reply{request.spawner_request, pid{},
                                                           static_cast<std::uint8_t>(why),
                                                           "constellation::spawn(): " + message});
      return;
    }
    finish_job(request.job, "the program cannot start: " + message);
  }

  void launch_failed(const launch_request& request, const std::string& problem) {
    if (auto it = jobs.find(request.job); it != jobs.end()) --it->second.launching;
    refuse(request, spawn_errc::launch_failed, problem);
    check_job_end(request.job);
  }

  // ---- processes' requests ----

  void reply_to_process(const pid& to, const auto& message) {
    auto job = jobs.find(pid_access::job(to));
    if (job == jobs.end()) return;
    auto process = job->second.processes.find(to);
    if (process == job->second.processes.end()) return;
    send(nodes[process->second.node].connection,
         wire::process_reply{to, wire::encode_message(message)});
  }

  void on_process_request(std::size_t, wire::process_request request) {
    const auto job_id = pid_access::job(request.from);
    auto job = jobs.find(job_id);
    if (job == jobs.end()) return;
    switch (static_cast<wire::message_type>(request.frame_type)) {
      case wire::message_type::spawn_request: {
        auto spawn = wire::decode_message<wire::spawn_request>(request.payload);
        if (!spawn) return;
        launch_request launch;
        launch.job = job_id;
        launch.spawner = request.from;
        launch.spawner_request = spawn->request_id;
        if (job->second.ending)
          return refuse(launch, spawn_errc::launch_failed, "the job is ending");
        auto& spec = launch.spec;
        spec.what = wire::launch_spec::kind::function;
        spec.self = pid_access::make(job_id, job->second.next_serial++, 0, 0);
        spec.parent = spawn->parent;
        spec.needs = spawn->needs;
        spec.entry = std::move(spawn->entry);
        spec.function = std::move(spawn->function);
        spec.arguments = std::move(spawn->arguments);
        spec.trapped = spawn->trap_exits;
        spec.fresh_exec = spawn->fresh_exec;
        return place(std::move(launch), spawn->wait_for_capacity);
      }
      case wire::message_type::peer_status_request: {
        auto status = wire::decode_message<wire::peer_status_request>(request.payload);
        if (!status) return;
        return reply_to_process(
            request.from, wire::peer_status_reply{status->request_id, status_of(status->who)});
      }
      case wire::message_type::counter_report: {
        auto report = wire::decode_message<wire::counter_report>(request.payload);
        if (!report) return;
        return add_counters(job->second, report->increments);
      }
      default:
        return;
    }
  }

  // A job's counters are named by its code: a bounded number of valid names, so that a job cannot
  // grow the master's memory or break the exposition format.
  static constexpr std::size_t counters_per_job = 64;
  void add_counters(job_record& job,
                    const std::vector<std::pair<std::string, double>>& increments) {
    for (const auto& [name, amount] : increments) {
      if (!wire::is_counter_name(name) || !(amount >= 0)) continue;
      if (!job.counters.contains(name) && job.counters.size() >= counters_per_job) continue;
      job.counters[name] += amount;
    }
  }

  wire::peer_status status_of(const pid& who) const {
    auto job = jobs.find(pid_access::job(who));
    if (job == jobs.end()) return wire::peer_status::unknown;
    auto process = job->second.processes.find(who);
    if (process == job->second.processes.end()) return wire::peer_status::unknown;
    if (!process->second.exited) return wire::peer_status::alive;
    return process->second.status.how == report::exit_status::kind::signal
               ? wire::peer_status::died
               : wire::peer_status::exited;
  }

  // ---- flow control ----

  // A node sent bytes of the job's output: the bridge credits them once its client has them; with
  // no bridge to pass them to, they are credited at once.
  void output_sent(std::uint64_t job_id, std::size_t node, std::uint64_t bytes) {
    if (bytes == 0) return;
    auto job = jobs.find(job_id);
    if (job == jobs.end() || !job->second.bridge)
      return send(nodes[node].connection, wire::output_credit{job_id, bytes});
    auto& in_flight = job->second.output_in_flight;
    if (!in_flight.empty() && in_flight.back().first == node)
      in_flight.back().second += bytes;
    else
      in_flight.emplace_back(node, bytes);
  }

  // The bridge's credit for the job's output, passed to the nodes it came from.
  void on_output_credit(const wire::output_credit& credit) {
    auto job = jobs.find(credit.job);
    if (job == jobs.end()) return;
    auto& in_flight = job->second.output_in_flight;
    for (auto bytes = credit.bytes; bytes > 0 && !in_flight.empty();) {
      auto& [node, held] = in_flight.front();
      const auto part = std::min(bytes, held);
      send(nodes[node].connection, wire::output_credit{credit.job, part});
      bytes -= part;
      held -= part;
      if (held == 0) in_flight.pop_front();
    }
  }

  // Everything the job's bridge was sent and will never credit (it is gone), credited now.
  void release_output(std::uint64_t job_id, job_record& job) {
    for (auto& [node, bytes] : std::exchange(job.output_in_flight, {}))
      send(nodes[node].connection, wire::output_credit{job_id, bytes});
  }

  // ---- events ----

  void on_event(std::uint64_t job_id, report::process_event event) {
    auto job_it = jobs.find(job_id);
    if (job_it == jobs.end()) return;
    auto& job = job_it->second;
    if (auto* eof = std::get_if<report::eof_event>(&event)) {
      if (auto p = job.processes.find(eof->process);
          p != job.processes.end() && (eof->fd == 1 || eof->fd == 2))
        p->second.eof[eof->fd - 1] = true;
    }
    const auto* exit = std::get_if<report::exit_event>(&event);
    if (auto* output = std::get_if<report::output_event>(&event))
      counters.output_forwarded(output->fd, output->data.size());
    if (exit) {
      auto p = job.processes.find(exit->process);
      if (p == job.processes.end() || p->second.exited) return;
      p->second.exited = true;
      p->second.status = exit->status;
      slots.release(p->second.node, p->second.needs);
    }
    send(job.bridge, wire::job_event{std::move(event)});
    if (exit) {
      admit_waiting();
      check_job_end(job_id);
    }
  }

  void check_job_end(std::uint64_t job_id) {
    auto it = jobs.find(job_id);
    if (it == jobs.end()) return;
    auto& job = it->second;
    if (job.launching > 0 || job.awaiting_binary) return;
    for (auto& [p, process] : job.processes)
      if (!process.exited) return;
    finish_job(job_id, {});
  }

  void finish_job(std::uint64_t job_id, const std::string& problem) {
    auto it = jobs.find(job_id);
    if (it == jobs.end()) return;
    send(it->second.bridge, wire::job_finished{job_id, problem});
    if (!problem.empty()) log.info("job " + job_name(job_id) + " failed: " + problem);
    auto summary = summarize(job_id, it->second);
    summary.ended_ms = now_ms();
    summary.state = problem.empty() ? "finished" : "failed";
    if (!problem.empty()) summary.outcome = problem;
    ended_jobs.push_front(ended_job{std::move(summary), std::move(it->second.counters)});
    if (ended_jobs.size() > ended_jobs_kept) ended_jobs.pop_back();
    // The nodes let go of what they keep for the job beyond its processes (its fork servers).
    for (auto& node : nodes) send(node.connection, wire::end_job{job_id, false, SIGTERM});
    for (auto w = waiting.begin(); w != waiting.end();) {
      if (w->second.job == job_id) {
        slots.cancel(w->first);
        w = waiting.erase(w);
      } else {
        ++w;
      }
    }
    jobs.erase(it);
  }

  // ---- bridges ----

  void on_bridge_frame(const connection_ptr& bridge, std::uint8_t type, std::string_view payload) {
    switch (static_cast<wire::cluster_type>(type)) {
      case wire::cluster_type::job_start:
        if (auto m = wire::decode_message<wire::job_start>(payload))
          return start_job(bridge, std::move(*m));
        break;
      case wire::cluster_type::binary_upload:
        if (auto m = wire::decode_message<wire::binary_upload>(payload))
          return on_binary(std::move(*m));
        break;
      case wire::cluster_type::stdin_data:
        if (auto m = wire::decode_message<wire::stdin_data>(payload))
          return to_top_node(m->job, *m);
        break;
      case wire::cluster_type::stdin_eof:
        if (auto m = wire::decode_message<wire::stdin_eof>(payload)) return to_top_node(m->job, *m);
        break;
      case wire::cluster_type::end_job:
        if (auto m = wire::decode_message<wire::end_job>(payload))
          return end_job(m->job, m->immediately, m->signal);
        break;
      case wire::cluster_type::output_credit:
        if (auto m = wire::decode_message<wire::output_credit>(payload))
          return on_output_credit(*m);
        break;
      case wire::cluster_type::status_request:
        return send(bridge, status());
      case wire::cluster_type::jobs_request:
        return send(bridge, jobs_list());
      case wire::cluster_type::kill_job_request:
        if (auto m = wire::decode_message<wire::kill_job_request>(payload))
          return send(bridge, kill(m->job));
        break;
      default:
        break;
    }
    log.warn("a bridge sent a malformed message: closing its connection");
    bridge->close();
    bridge_lost(bridge);
  }

  void start_job(const connection_ptr& bridge, wire::job_start start) {
    if (jobs.contains(start.job))
      return send(bridge, wire::job_finished{start.job, "a job with this id is running already"});
    auto& job = jobs[start.job];
    job.program = std::move(start.program);
    job.bridge = bridge;
    job.top_needs = start.top_needs;
    job.client = std::move(start.client);
    job.started_ms = now_ms();
    log.info("job " + job_name(start.job) + ": " +
             (job.program.argv.empty() ? "?" : job.program.argv[0]) + " (" +
             describe(start.top_needs) + ")");
    if (!cache.find(job.program.binary_hash)) {
      job.awaiting_binary = true;
      return send(bridge, wire::need_binary{job.program.binary_hash});
    }
    launch_top(start.job);
  }

  void on_binary(wire::binary_upload upload) {
    auto stored = cache.store(upload.binary_hash, upload.bytes);
    if (stored)
      pruner.stored(upload.binary_hash);
    else
      log.warn("a bridge sent a binary that cannot be stored: " + stored.error());
    for (auto& [id, job] : jobs) {
      if (!job.awaiting_binary || job.program.binary_hash != upload.binary_hash) continue;
      job.awaiting_binary = false;
      if (!stored) {
        finish_job(id, "the binary could not be stored: " + stored.error());
        return;
      }
      launch_top(id);
      return;
    }
  }

  void launch_top(std::uint64_t job_id) {
    launch_request launch;
    launch.job = job_id;
    launch.spec.what = wire::launch_spec::kind::top;
    launch.spec.self = pid_access::make(job_id, 1, 0, 0);
    launch.spec.needs = jobs.at(job_id).top_needs;
    place(std::move(launch), true);
  }

  // Stdin goes to the node of the top process; what comes before the top runs waits for it.
  template <class Message>
  void to_top_node(std::uint64_t job_id, const Message& m) {
    auto job = jobs.find(job_id);
    if (job == jobs.end()) return;
    if (!job->second.top) {
      job->second.early_stdin.push_back(wire::encode_message(m));
      return;
    }
    auto& top = job->second.processes.at(*job->second.top);
    send(nodes[top.node].connection, m);
  }

  void end_job(std::uint64_t job_id, bool immediately, int signal = SIGTERM) {
    auto job = jobs.find(job_id);
    if (job == jobs.end()) return;
    job->second.ending = true;
    for (auto w = waiting.begin(); w != waiting.end();) {
      if (w->second.job == job_id) {
        slots.cancel(w->first);
        --job->second.launching;
        w = waiting.erase(w);
      } else {
        ++w;
      }
    }
    job->second.end_signal = signal;
    for (auto& node : nodes) send(node.connection, wire::end_job{job_id, immediately, signal});
    check_job_end(job_id);
  }

  void bridge_lost(const connection_ptr& bridge) {
    std::vector<std::uint64_t> orphaned;
    for (auto& [id, job] : jobs)
      if (job.bridge == bridge) orphaned.push_back(id);
    for (auto id : orphaned) {
      log.info("job " + job_name(id) + ": its bridge is gone, ending it");
      jobs.at(id).bridge.reset();
      release_output(id, jobs.at(id));
      end_job(id, false, SIGHUP);  // as when a terminal goes away
      // A process that ignores SIGTERM is killed after the monitors' grace period.
    }
  }

  // ---- queries ----

  wire::job_summary summarize(std::uint64_t id, const job_record& job) const {
    wire::job_summary s;
    s.job = id;
    s.argv = job.program.argv;
    s.client = job.client;
    s.started_ms = job.started_ms;
    s.processes = static_cast<std::uint32_t>(job.processes.size());
    for (const auto& [p, process] : job.processes)
      if (!process.exited) ++s.running;
    s.state = job.awaiting_binary ? "waiting for its binary"
              : job.ending        ? "ending"
              : !job.top          ? "starting"
                                  : "running";
    if (job.top) {
      const auto& top = job.processes.at(*job.top);
      if (top.exited) s.outcome = describe(top.status);
    }
    return s;
  }

  wire::jobs_reply jobs_list() const {
    wire::jobs_reply reply;
    reply.now_ms = now_ms();
    for (const auto& [id, job] : jobs) reply.jobs.push_back(summarize(id, job));
    std::sort(reply.jobs.begin(), reply.jobs.end(),
              [](const auto& a, const auto& b) { return a.started_ms > b.started_ms; });
    for (const auto& ended : ended_jobs) reply.jobs.push_back(ended.summary);
    return reply;
  }

  // Ends the running job named by an id or a prefix of one, as Ctrl-C on its client does.
  wire::kill_job_reply kill(const std::string& name) {
    std::vector<std::uint64_t> matching;
    if (!name.empty())
      for (const auto& [id, job] : jobs)
        if (job_name(id).starts_with(name)) matching.push_back(id);
    if (matching.size() != 1) {
      const bool ended = std::any_of(ended_jobs.begin(), ended_jobs.end(), [&](const auto& j) {
        return !name.empty() && job_name(j.summary.job).starts_with(name);
      });
      return {
          0, matching.empty()
                 ? "no running job " +
                       (name.empty() ? std::string("was named") : "has the id " + name) +
                       (ended ? ": it has ended already" : "; constellation-deploy jobs lists them")
                 : std::to_string(matching.size()) + " running jobs have ids starting with " +
                       name + ": give more of the id"};
    }
    log.info("job " + job_name(matching[0]) + ": ended on request, as Ctrl-C would");
    end_job(matching[0], false, SIGINT);
    return {matching[0], {}};
  }

  wire::status_reply status() const {
    wire::status_reply reply;
    auto usage = slots.usage();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      wire::node_status n;
      n.address = nodes[i].config.fabric.text;
      n.up = nodes[i].up;
      n.mem_total = usage[i].total.mem;
      n.mem_used = usage[i].used.mem;
      n.cpu_total = static_cast<double>(usage[i].total.micro_cpu) / micro_cpu_per_core;
      n.cpu_used = static_cast<double>(usage[i].used.micro_cpu) / micro_cpu_per_core;
      for (auto& [id, job] : jobs)
        for (auto& [p, process] : job.processes)
          if (process.node == i && !process.exited) n.processes.push_back(p.to_string());
      reply.nodes.push_back(std::move(n));
    }
    reply.jobs = jobs.size();
    return reply;
  }

  static cluster_snapshot::job snapshot_of(const wire::job_summary& summary) {
    cluster_snapshot::job j;
    j.id = job_name(summary.job);
    j.argv = summary.argv;
    j.client = summary.client;
    j.state = summary.state;
    j.outcome = summary.outcome;
    j.started_ms = summary.started_ms;
    j.ended_ms = summary.ended_ms;
    j.process_count = summary.processes;
    return j;
  }

  cluster_snapshot snapshot() const {
    cluster_snapshot s;
    s.now_ms = now_ms();
    const auto usage = slots.usage();
    for (std::size_t i = 0; i < nodes.size(); ++i)
      s.nodes.push_back({nodes[i].config.fabric.text, nodes[i].up, usage[i].total.mem,
                         usage[i].used.mem,
                         static_cast<double>(usage[i].total.micro_cpu) / micro_cpu_per_core,
                         static_cast<double>(usage[i].used.micro_cpu) / micro_cpu_per_core});
    for (const auto& [id, job] : jobs) {
      auto j = snapshot_of(summarize(id, job));
      for (const auto& [p, process] : job.processes)
        j.processes.push_back({p.to_string(),
                               process.parent ? process.parent.to_string() : std::string(),
                               process.node, !process.exited,
                               process.exited ? describe(process.status) : std::string(),
                               process.needs.mem, process.needs.cpu});
      j.counters.assign(job.counters.begin(), job.counters.end());
      s.jobs.push_back(std::move(j));
    }
    std::sort(s.jobs.begin(), s.jobs.end(),
              [](const auto& a, const auto& b) { return a.started_ms > b.started_ms; });
    for (const auto& ended : ended_jobs) {
      auto j = snapshot_of(ended.summary);
      j.counters.assign(ended.counters.begin(), ended.counters.end());
      s.ended_jobs.push_back(std::move(j));
    }
    s.waiting_spawns = waiting.size();
    return s;
  }
};

master::master(asio::io_context& io, cluster_config config, std::string secret,
               cluster::binary_cache cache, cluster::cache_bounds cache_bounds,
               const cluster::daemon_log& log, metrics::daemon_counters& counters)
    : state_(std::make_unique<state>(io, std::move(config), std::move(secret), std::move(cache),
                                     cache_bounds, log, counters)) {}

cluster_snapshot master::snapshot() const {
  return state_->snapshot();
}

std::uint64_t master::binaries_evicted() const {
  return state_->pruner.evicted();
}

master::~master() = default;

void master::start() {
  state_->pruner.start();
  for (std::size_t i = 0; i < state_->nodes.size(); ++i) state_->connect(i);
}

void master::adopt_bridge(std::shared_ptr<agent::frame_connection> connection,
                          std::string already_received) {
  state_->log.info("bridge connected");
  connection->start(
      [this, weak = std::weak_ptr(connection)](std::uint8_t type, std::string_view payload) {
        if (auto c = weak.lock()) state_->on_bridge_frame(c, type, payload);
      },
      [this, weak = std::weak_ptr(connection)](const agent::connection_end&) {
        if (auto c = weak.lock()) state_->bridge_lost(c);
      },
      std::move(already_received));
}

void master::end_all_jobs(bool immediately) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, job] : state_->jobs) ids.push_back(id);
  for (auto id : ids) state_->end_job(id, immediately);
}

}  // namespace constellation::fabric
