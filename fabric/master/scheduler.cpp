#include "master/scheduler.hpp"

#include "metrics/daemon_counters.hpp"

#include "runtime/pid_access.hpp"
#include "wire/counter_name.hpp"

#include <constellation/errors.hpp>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace constellation::fabric {

using detail::pid_access;

namespace {

// Ended jobs the master still lists (constellation-deploy jobs), the newest first.
constexpr std::size_t ended_jobs_kept = 50;

// A job's counters are named by its code: a bounded number of valid names, so that a job cannot
// grow the master's memory or break the exposition format.
constexpr std::size_t counters_per_job = 64;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How a process ended, as the jobs list shows it: "exit 0", "SIGKILL".
std::string describe(const report::exit_status& status) {
  return (status.how == report::exit_status::kind::code ? "exit " : "") + to_string(status);
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

pid subject_of(const report::spawn_event& e) {
  return e.child;
}
template <class Event>
pid subject_of(const Event& e) {
  return e.process;
}

cluster_snapshot::job snapshot_of(const wire::job_summary& summary) {
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

}  // namespace

scheduler::scheduler(const cluster_config& config, scheduler_actions& actions,
                     const cluster::daemon_log& log, metrics::daemon_counters& counters)
    : actions_(actions), log_(log), counters_(counters) {
  for (const auto& n : config.nodes) {
    slots_.add_node(to_capacity(resources{n.mem, n.cpu}), false);
    nodes_.push_back(node_record{n.fabric.text, false});
  }
}

std::set<std::string> scheduler::binaries_in_use() const {
  std::set<std::string> in_use;
  for (const auto& [id, job] : jobs_) in_use.insert(job.program.binary_hash);
  return in_use;
}

// A node that is down has no link to send on: what would go there is dropped, as a closed
// connection would drop it.
void scheduler::send_to_node(std::size_t node, node_message message) {
  if (nodes_[node].up) actions_.to_node(node, std::move(message));
}

void scheduler::send_to_bridge(bridge_id bridge, bridge_message message) {
  if (bridge != 0) actions_.to_bridge(bridge, std::move(message));
}

// ---- nodes ----

void scheduler::node_up(std::size_t node) {
  nodes_[node].up = true;
  slots_.set_up(node, true);
  admit_waiting();
}

void scheduler::node_lost(std::size_t index) {
  auto& node = nodes_[index];
  node.up = false;
  slots_.set_up(index, false);
  const std::string reason = "its node " + node.address + " was lost";
  for (auto it = launches_.begin(); it != launches_.end();) {
    if (it->second.node != index) {
      ++it;
      continue;
    }
    auto request = std::move(it->second);
    it = launches_.erase(it);
    slots_.release(index, request.spec.needs);
    launch_failed(request, "the node " + node.address + " was lost while starting the process");
  }
  std::vector<std::uint64_t> ids;
  for (auto& [job, record] : jobs_) ids.push_back(job);
  for (auto job : ids) {
    auto found = jobs_.find(job);
    if (found == jobs_.end()) continue;
    std::vector<pid> lost;
    for (auto& [p, process] : found->second.processes)
      if (process.node == index && !process.exited) lost.push_back(p);
    for (const auto& p : lost) {
      auto again = jobs_.find(job);
      if (again == jobs_.end()) break;
      auto& process = again->second.processes.at(p);
      for (int fd : {1, 2})
        if (!process.eof[fd - 1]) on_event(job, report::eof_event{p, fd});
      on_event(job, report::exit_event{p, {report::exit_status::kind::signal, SIGKILL}, reason});
    }
  }
  admit_waiting();
}

void scheduler::job_event(std::size_t node, report::process_event event) {
  const pid subject = std::visit([](const auto& e) { return subject_of(e); }, event);
  if (const auto* output = std::get_if<report::output_event>(&event))
    output_sent(pid_access::job(subject), node, output->data.size());
  on_event(pid_access::job(subject), std::move(event));
}

void scheduler::stdin_credit(const wire::stdin_credit& credit) {
  if (auto job = jobs_.find(credit.job); job != jobs_.end())
    send_to_bridge(job->second.bridge, credit);
}

// ---- launching ----

void scheduler::place(launch_request request, bool wait) {
  auto& job = jobs_.at(request.job);
  counters_.spawn_requested();
  auto decision = slots_.request(request.spec.needs, wait);
  switch (decision.what) {
    case placement::outcome::placed:
      ++job.launching;
      request.node = decision.node;
      return send_launch(std::move(request));
    case placement::outcome::queued:
      counters_.spawn_waited();
      ++job.launching;
      waiting_.emplace(decision.ticket, std::move(request));
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

void scheduler::admit_waiting() {
  for (auto admitted : slots_.admit_waiting()) {
    auto it = waiting_.find(admitted.ticket);
    if (it == waiting_.end()) continue;
    auto request = std::move(it->second);
    waiting_.erase(it);
    request.node = admitted.node;
    send_launch(std::move(request));
  }
}

void scheduler::send_launch(launch_request request) {
  const auto& node = nodes_[request.node];
  auto& job = jobs_.at(request.job);
  if (!node.up) {
    slots_.release(request.node, request.spec.needs);
    return launch_failed(request, "the node " + node.address + " is down");
  }
  const auto id = next_request_++;
  send_to_node(request.node, wire::launch_order{id, request.spec, job.program});
  request.sent = std::chrono::steady_clock::now();
  launches_.emplace(id, std::move(request));
}

void scheduler::launch_result(std::size_t index, const wire::launch_result& result) {
  auto it = launches_.find(result.request_id);
  if (it == launches_.end()) return;
  auto request = std::move(it->second);
  launches_.erase(it);
  counters_.launch_answered(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - request.sent).count(),
      static_cast<bool>(result.process));
  auto job_it = jobs_.find(request.job);
  if (result.binary_missing && job_it != jobs_.end() && request.binary_resends++ == 0) {
    // The node lost its copy (its cache was cleared): send it again, once.
    actions_.forget_binary(index, job_it->second.program.binary_hash);
    return send_launch(std::move(request));
  }
  if (!result.process) {
    slots_.release(index, request.spec.needs);
    admit_waiting();
    return launch_failed(request, result.problem);
  }
  if (job_it == jobs_.end()) return;
  auto& job = job_it->second;
  --job.launching;
  job.processes[result.process] =
      process_record{index, request.spec.needs, request.spec.parent, false, {}, {false, false}};
  if (request.spec.what == wire::launch_spec::kind::top) {
    job.top = result.process;
    for (auto& message : std::exchange(job.early_stdin, {}))
      std::visit([&](auto& m) { send_to_node(index, std::move(m)); }, message);
  }
  if (request.spawner)
    reply_to_process(*request.spawner,
                     wire::spawn_reply{request.spawner_request, result.process, 0, {}});
  if (job.ending) send_to_node(index, wire::end_job{request.job, false, job.end_signal});
}

void scheduler::refuse(const launch_request& request, spawn_errc why, const std::string& message) {
  counters_.spawn_refused(why == spawn_errc::no_capacity  ? "no_capacity"
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

void scheduler::launch_failed(const launch_request& request, const std::string& problem) {
  if (auto it = jobs_.find(request.job); it != jobs_.end()) --it->second.launching;
  refuse(request, spawn_errc::launch_failed, problem);
  check_job_end(request.job);
}

void scheduler::launch_top(std::uint64_t job_id) {
  launch_request launch;
  launch.job = job_id;
  launch.spec.what = wire::launch_spec::kind::top;
  launch.spec.self = pid_access::make(job_id, 1, 0, 0);
  launch.spec.needs = jobs_.at(job_id).top_needs;
  place(std::move(launch), true);
}

// ---- processes' requests ----

void scheduler::reply_to_process(const pid& to, const auto& message) {
  auto job = jobs_.find(pid_access::job(to));
  if (job == jobs_.end()) return;
  auto process = job->second.processes.find(to);
  if (process == job->second.processes.end()) return;
  send_to_node(process->second.node, wire::process_reply{to, wire::encode_message(message)});
}

void scheduler::process_request(wire::process_request request) {
  const auto job_id = pid_access::job(request.from);
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return;
  switch (static_cast<wire::message_type>(request.frame_type)) {
    case wire::message_type::spawn_request: {
      auto spawn = wire::decode_message<wire::spawn_request>(request.payload);
      if (!spawn) return;
      launch_request launch;
      launch.job = job_id;
      launch.spawner = request.from;
      launch.spawner_request = spawn->request_id;
      if (job->second.ending) return refuse(launch, spawn_errc::launch_failed, "the job is ending");
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
      return reply_to_process(request.from,
                              wire::peer_status_reply{status->request_id, status_of(status->who)});
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

void scheduler::add_counters(job_record& job,
                             const std::vector<std::pair<std::string, double>>& increments) {
  for (const auto& [name, amount] : increments) {
    if (!wire::is_counter_name(name) || !(amount >= 0)) continue;
    if (!job.counters.contains(name) && job.counters.size() >= counters_per_job) continue;
    job.counters[name] += amount;
  }
}

wire::peer_status scheduler::status_of(const pid& who) const {
  auto job = jobs_.find(pid_access::job(who));
  if (job == jobs_.end()) return wire::peer_status::unknown;
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
void scheduler::output_sent(std::uint64_t job_id, std::size_t node, std::uint64_t bytes) {
  if (bytes == 0) return;
  auto job = jobs_.find(job_id);
  if (job == jobs_.end() || job->second.bridge == 0)
    return send_to_node(node, wire::output_credit{job_id, bytes});
  job->second.output.forwarded(node, bytes);
}

void scheduler::output_credit(const wire::output_credit& credit) {
  auto job = jobs_.find(credit.job);
  if (job == jobs_.end()) return;
  job->second.output.credit(credit.bytes, [&](std::size_t node, std::uint64_t part) {
    send_to_node(node, wire::output_credit{credit.job, part});
  });
}

// ---- events ----

void scheduler::on_event(std::uint64_t job_id, report::process_event event) {
  auto job_it = jobs_.find(job_id);
  if (job_it == jobs_.end()) return;
  auto& job = job_it->second;
  if (auto* eof = std::get_if<report::eof_event>(&event)) {
    if (auto p = job.processes.find(eof->process);
        p != job.processes.end() && (eof->fd == 1 || eof->fd == 2))
      p->second.eof[eof->fd - 1] = true;
  }
  const auto* exit = std::get_if<report::exit_event>(&event);
  if (auto* output = std::get_if<report::output_event>(&event))
    counters_.output_forwarded(output->fd, output->data.size());
  if (exit) {
    auto p = job.processes.find(exit->process);
    if (p == job.processes.end() || p->second.exited) return;
    p->second.exited = true;
    p->second.status = exit->status;
    slots_.release(p->second.node, p->second.needs);
  }
  send_to_bridge(job.bridge, wire::job_event{std::move(event)});
  if (exit) {
    admit_waiting();
    check_job_end(job_id);
  }
}

void scheduler::check_job_end(std::uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  auto& job = it->second;
  if (job.launching > 0 || job.awaiting_binary) return;
  for (auto& [p, process] : job.processes)
    if (!process.exited) return;
  finish_job(job_id, {});
}

void scheduler::finish_job(std::uint64_t job_id, const std::string& problem) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  send_to_bridge(it->second.bridge, wire::job_finished{job_id, problem});
  if (!problem.empty()) log_.info("job " + job_name(job_id) + " failed: " + problem);
  auto summary = summarize(job_id, it->second);
  summary.ended_ms = now_ms();
  summary.state = problem.empty() ? "finished" : "failed";
  if (!problem.empty()) summary.outcome = problem;
  ended_jobs_.push_front(ended_job{std::move(summary), std::move(it->second.counters)});
  if (ended_jobs_.size() > ended_jobs_kept) ended_jobs_.pop_back();
  // The nodes let go of what they keep for the job beyond its processes (its fork servers).
  for (std::size_t node = 0; node < nodes_.size(); ++node)
    send_to_node(node, wire::end_job{job_id, false, SIGTERM});
  for (auto w = waiting_.begin(); w != waiting_.end();) {
    if (w->second.job == job_id) {
      slots_.cancel(w->first);
      w = waiting_.erase(w);
    } else {
      ++w;
    }
  }
  jobs_.erase(it);
}

// ---- bridges ----

void scheduler::start_job(bridge_id bridge, wire::job_start start) {
  if (jobs_.contains(start.job))
    return send_to_bridge(bridge,
                          wire::job_finished{start.job, "a job with this id is running already"});
  auto& job = jobs_[start.job];
  job.program = std::move(start.program);
  job.bridge = bridge;
  job.top_needs = start.top_needs;
  job.client = std::move(start.client);
  job.started_ms = now_ms();
  log_.info("job " + job_name(start.job) + ": " +
            (job.program.argv.empty() ? "?" : job.program.argv[0]) + " (" +
            describe(start.top_needs) + ")");
  if (!actions_.binary_cached(job.program.binary_hash)) {
    job.awaiting_binary = true;
    return send_to_bridge(bridge, wire::need_binary{job.program.binary_hash});
  }
  launch_top(start.job);
}

// One upload starts one job: another job awaiting the same binary asked for it too and gets its
// own upload.
void scheduler::binary_arrived(const std::string& hash, const std::optional<std::string>& problem) {
  for (auto& [id, job] : jobs_) {
    if (!job.awaiting_binary || job.program.binary_hash != hash) continue;
    job.awaiting_binary = false;
    if (problem) return finish_job(id, "the binary could not be stored: " + *problem);
    return launch_top(id);
  }
}

void scheduler::stdin_data(const wire::stdin_data& data) {
  to_top_node(data.job, data);
}

void scheduler::stdin_eof(const wire::stdin_eof& eof) {
  to_top_node(eof.job, eof);
}

// Stdin goes to the node of the top process; what comes before the top runs waits for it.
void scheduler::to_top_node(std::uint64_t job_id,
                            std::variant<wire::stdin_data, wire::stdin_eof> message) {
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return;
  if (!job->second.top) {
    job->second.early_stdin.push_back(std::move(message));
    return;
  }
  const auto node = job->second.processes.at(*job->second.top).node;
  std::visit([&](auto& m) { send_to_node(node, std::move(m)); }, message);
}

void scheduler::end_job(std::uint64_t job_id, bool immediately, int signal) {
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return;
  job->second.ending = true;
  for (auto w = waiting_.begin(); w != waiting_.end();) {
    if (w->second.job == job_id) {
      slots_.cancel(w->first);
      --job->second.launching;
      w = waiting_.erase(w);
    } else {
      ++w;
    }
  }
  job->second.end_signal = signal;
  for (std::size_t node = 0; node < nodes_.size(); ++node)
    send_to_node(node, wire::end_job{job_id, immediately, signal});
  check_job_end(job_id);
}

void scheduler::bridge_lost(bridge_id bridge) {
  std::vector<std::uint64_t> orphaned;
  for (auto& [id, job] : jobs_)
    if (job.bridge == bridge) orphaned.push_back(id);
  for (auto id : orphaned) {
    log_.info("job " + job_name(id) + ": its bridge is gone, ending it");
    auto& job = jobs_.at(id);
    job.bridge = 0;
    job.output.release([&](std::size_t node, std::uint64_t bytes) {
      send_to_node(node, wire::output_credit{id, bytes});
    });
    end_job(id, false, SIGHUP);  // as when a terminal goes away
    // A process that ignores SIGTERM is killed after the monitors' grace period.
  }
}

void scheduler::end_all_jobs(bool immediately) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, job] : jobs_) ids.push_back(id);
  for (auto id : ids) end_job(id, immediately);
}

// ---- queries ----

wire::job_summary scheduler::summarize(std::uint64_t id, const job_record& job) const {
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

wire::jobs_reply scheduler::jobs_list() const {
  wire::jobs_reply reply;
  reply.now_ms = now_ms();
  for (const auto& [id, job] : jobs_) reply.jobs.push_back(summarize(id, job));
  std::sort(reply.jobs.begin(), reply.jobs.end(),
            [](const auto& a, const auto& b) { return a.started_ms > b.started_ms; });
  for (const auto& ended : ended_jobs_) reply.jobs.push_back(ended.summary);
  return reply;
}

wire::kill_job_reply scheduler::kill(const std::string& name) {
  std::vector<std::uint64_t> matching;
  if (!name.empty())
    for (const auto& [id, job] : jobs_)
      if (job_name(id).starts_with(name)) matching.push_back(id);
  if (matching.size() != 1) {
    const bool ended = std::any_of(ended_jobs_.begin(), ended_jobs_.end(), [&](const auto& j) {
      return !name.empty() && job_name(j.summary.job).starts_with(name);
    });
    return {0,
            matching.empty()
                ? "no running job " +
                      (name.empty() ? std::string("was named") : "has the id " + name) +
                      (ended ? ": it has ended already" : "; constellation-deploy jobs lists them")
                : std::to_string(matching.size()) + " running jobs have ids starting with " + name +
                      ": give more of the id"};
  }
  log_.info("job " + job_name(matching[0]) + ": ended on request, as Ctrl-C would");
  end_job(matching[0], false, SIGINT);
  return {matching[0], {}};
}

wire::status_reply scheduler::status() const {
  wire::status_reply reply;
  auto usage = slots_.usage();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    wire::node_status n;
    n.address = nodes_[i].address;
    n.up = nodes_[i].up;
    n.mem_total = usage[i].total.mem;
    n.mem_used = usage[i].used.mem;
    n.cpu_total = static_cast<double>(usage[i].total.micro_cpu) / micro_cpu_per_core;
    n.cpu_used = static_cast<double>(usage[i].used.micro_cpu) / micro_cpu_per_core;
    for (auto& [id, job] : jobs_)
      for (auto& [p, process] : job.processes)
        if (process.node == i && !process.exited) n.processes.push_back(p.to_string());
    reply.nodes.push_back(std::move(n));
  }
  reply.jobs = jobs_.size();
  return reply;
}

cluster_snapshot scheduler::snapshot() const {
  cluster_snapshot s;
  s.now_ms = now_ms();
  const auto usage = slots_.usage();
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    s.nodes.push_back({nodes_[i].address, nodes_[i].up, usage[i].total.mem, usage[i].used.mem,
                       static_cast<double>(usage[i].total.micro_cpu) / micro_cpu_per_core,
                       static_cast<double>(usage[i].used.micro_cpu) / micro_cpu_per_core});
  for (const auto& [id, job] : jobs_) {
    auto j = snapshot_of(summarize(id, job));
    for (const auto& [p, process] : job.processes)
      j.processes.push_back(
          {p.to_string(), process.parent ? process.parent.to_string() : std::string(), process.node,
           !process.exited, process.exited ? describe(process.status) : std::string(),
           process.needs.mem, process.needs.cpu});
    j.counters.assign(job.counters.begin(), job.counters.end());
    s.jobs.push_back(std::move(j));
  }
  std::sort(s.jobs.begin(), s.jobs.end(),
            [](const auto& a, const auto& b) { return a.started_ms > b.started_ms; });
  for (const auto& ended : ended_jobs_) {
    auto j = snapshot_of(ended.summary);
    j.counters.assign(ended.counters.begin(), ended.counters.end());
    s.ended_jobs.push_back(std::move(j));
  }
  s.waiting_spawns = waiting_.size();
  return s;
}

}  // namespace constellation::fabric
