#include "node/fabric_node.hpp"

#include "metrics/daemon_counters.hpp"

#include "ownership/master_ownership.hpp"

#include "agent/listener.hpp"
#include "agent/node_processes.hpp"
#include "cluster/cache_pruner.hpp"
#include "cluster/repeat_limiter.hpp"
#include "cluster/secret.hpp"
#include "posix/unique_fd.hpp"
#include "runtime/pid_access.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <variant>

namespace constellation::fabric {

namespace asio = boost::asio;
using detail::pid_access;

namespace {

template <class Message>
std::expected<Message, std::string> decode(std::string_view payload) {
  return wire::decode_message<Message>(payload);
}

constexpr std::uint8_t type_of(wire::cluster_type t) {
  return static_cast<std::uint8_t>(t);
}

// The write end of a top process's stdin, fed from the deploy client's terminal. What it holds is
// bounded by the client's window (wire::stdin_window): each chunk written into the pipe is
// credited back (written), so a process that does not read holds the client up, not this daemon.
class stdin_feed : public std::enable_shared_from_this<stdin_feed> {
 public:
  stdin_feed(asio::io_context& io, int fd, std::function<void(std::uint64_t bytes)> written)
      : pipe_(io, fd), written_(std::move(written)) {}
  void write(std::string bytes) {
    queue_.push_back(std::move(bytes));
    if (queue_.size() == 1) next();
  }
  void close_when_written() {
    closing_ = true;
    if (queue_.empty()) close();
  }

 private:
  void next() {
    asio::async_write(
        pipe_, asio::buffer(queue_.front()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return self->close();  // the process closed its stdin or ended
          if (self->written_) self->written_(n);
          self->queue_.pop_front();
          if (!self->queue_.empty()) return self->next();
          if (self->closing_) self->close();
        });
  }
  void close() {
    boost::system::error_code ignored;
    pipe_.close(ignored);
    queue_.clear();
    written_ = nullptr;
  }
  asio::posix::stream_descriptor pipe_;
  std::function<void(std::uint64_t bytes)> written_;
  std::deque<std::string> queue_;
  bool closing_ = false;
};

}  // namespace

struct fabric_node::state {
  asio::io_context& io;
  node_options options;
  const cluster::daemon_log& log;
  metrics::daemon_counters& counters;
  std::shared_ptr<agent::frame_connection> master;
  master_ownership ownership{master_grace};
  std::string owner_peer;  // where the owner's link comes from, for log lines
  // A refused master retries every second: its refusals are logged once a minute.
  cluster::repeat_limiter refusals{std::chrono::seconds(60)};
  agent::node_processes processes;
  std::map<pid, std::uint64_t> pending_launches;  // process -> the master's request id
  std::map<std::uint64_t, std::shared_ptr<stdin_feed>> stdin_feeds;  // by job
  // Each job's output sent to the master and not yet credited (wire/cluster_messages.hpp, "Flow
  // control"); at output_window its monitors' reports are held.
  std::map<std::uint64_t, std::uint64_t> output_in_flight;
  // Each job's fork server on this node, started with the job's first process here and stopped
  // when the master ends the job.
  std::map<std::uint64_t, std::shared_ptr<agent::monitor_starter>> starters;
  // The binary of each job with a fork server here: kept in the cache while the job runs.
  std::map<std::uint64_t, std::string> job_binaries;
  cluster::cache_pruner pruner;

  state(asio::io_context& i, node_options o, const cluster::daemon_log& l,
        metrics::daemon_counters& m)
      : io(i),
        options(std::move(o)),
        log(l),
        counters(m),
        processes(io, {[this](const report::process_event& e) { on_event(e); },
                       [this](const pid& p, std::expected<void, std::string> started) {
                         on_started(p, std::move(started));
                       },
                       [this](const pid& p, std::uint8_t type, std::string_view payload) {
                         to_master(wire::process_request{p, type, std::string(payload)});
                       }}),
        pruner(io.get_executor(), options.cache, options.cache_bounds, log, "the node's cache",
               [this] { return binaries_in_use(); }) {}

  std::set<std::string> binaries_in_use() const {
    std::set<std::string> in_use;
    for (const auto& [job, hash] : job_binaries) in_use.insert(hash);
    return in_use;
  }

  template <class Message>
  void to_master(const Message& m) {
    if (master) master->send(wire::encode_message(m));
  }

  void on_event(const report::process_event& e) {
    to_master(wire::job_event{e});
    const auto* output = std::get_if<report::output_event>(&e);
    if (!output || !master) return;
    const auto job = pid_access::job(output->process);
    auto& in_flight = output_in_flight[job];
    in_flight += output->data.size();
    if (in_flight >= wire::output_window) processes.hold_output(job, true);
  }

  void on_output_credit(const wire::output_credit& credit) {
    auto it = output_in_flight.find(credit.job);
    if (it == output_in_flight.end()) return;
    it->second -= std::min(it->second, credit.bytes);
    if (it->second < wire::output_window) processes.hold_output(credit.job, false);
    if (it->second == 0 && processes.live_processes(credit.job) == 0) output_in_flight.erase(it);
  }

  void on_master_frame(std::uint8_t type, std::string_view payload) {
    switch (static_cast<wire::cluster_type>(type)) {
      case wire::cluster_type::launch_order:
        if (auto m = decode<wire::launch_order>(payload)) return launch(std::move(*m));
        break;
      case wire::cluster_type::binary_upload:
        if (auto m = decode<wire::binary_upload>(payload)) {
          auto stored = options.cache.store(m->binary_hash, m->bytes);
          if (!stored) return log.warn("cannot store a binary from the master: " + stored.error());
          log.info("received binary " + m->binary_hash.substr(0, 12) + " (" +
                   std::to_string(m->bytes.size()) + " bytes)");
          // The launch order it came for follows at once, and finds it kept.
          pruner.stored(m->binary_hash);
          return;
        }
        break;
      case wire::cluster_type::process_reply:
        if (auto m = decode<wire::process_reply>(payload))
          return processes.reply(m->to, std::move(m->frame));
        break;
      case wire::cluster_type::stdin_data:
        if (auto m = decode<wire::stdin_data>(payload)) {
          if (auto it = stdin_feeds.find(m->job); it != stdin_feeds.end())
            it->second->write(std::move(m->bytes));
          return;
        }
        break;
      case wire::cluster_type::stdin_eof:
        if (auto m = decode<wire::stdin_eof>(payload)) {
          if (auto it = stdin_feeds.find(m->job); it != stdin_feeds.end()) {
            it->second->close_when_written();
            stdin_feeds.erase(it);
          }
          return;
        }
        break;
      case wire::cluster_type::output_credit:
        if (auto m = decode<wire::output_credit>(payload)) return on_output_credit(*m);
        break;
      case wire::cluster_type::bridge_order:
        if (auto m = decode<wire::bridge_order>(payload)) {
          if (options.run_bridge) options.run_bridge(m->bind, m->master);
          return;
        }
        break;
      case wire::cluster_type::end_job:
        if (auto m = decode<wire::end_job>(payload)) {
          processes.terminate(m->job, m->immediately, m->signal);
          stdin_feeds.erase(m->job);
          // The master ends a job on every node once it is over: nothing of it is left to credit.
          if (processes.live_processes(m->job) == 0) {
            output_in_flight.erase(m->job);
            processes.hold_output(m->job, false);
          }
          stop_starter(m->job);
          // Its records answered status() while it ran; kept longer, they would pile up job
          // after job.
          processes.forget_job(m->job);
          return;
        }
        break;
      default:
        break;
    }
    log.warn("the master sent a malformed or unknown message (type " + std::to_string(type) +
             "): closing its connection");
    master->close();
    master_lost("it sent a malformed message");
  }

  void launch(wire::launch_order order) {
    auto& spec = order.spec;
    const auto job = pid_access::job(spec.self);
    auto refuse = [&](std::string problem, bool missing = false) {
      to_master(wire::launch_result{order.request_id, pid{}, missing, std::move(problem)});
    };
    auto binary = options.cache.find(order.program.binary_hash);
    if (!binary) return refuse("binary not cached", true);
    auto listener = agent::open_listener(options.listen.ipv4);
    if (!listener) return refuse(listener.error());
    // Bound where the daemon listens (0.0.0.0 too), named by the address peers reach this node at.
    listener->ipv4 = options.advertise;
    spec.self =
        pid_access::make(job, pid_access::serial(spec.self), listener->ipv4, listener->port);
    spec.job_secret = cluster::job_secret(options.secret, job);
    spec.deployed = true;
    spec.enforce_limits = true;

    posix::unique_fd stdin_fd;
    if (spec.what == wire::launch_spec::kind::top) {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) == 0) {
        stdin_fd.reset(fds[0]);
        stdin_feeds[job] =
            std::make_shared<stdin_feed>(io, fds[1], [this, job](std::uint64_t bytes) {
              to_master(wire::stdin_credit{job, bytes});
            });
      }
    }
    pending_launches[spec.self] = order.request_id;
    log.debug("launching " + spec.self.to_string());
    processes.launch(starter_of(job, order.program, *binary), spec, std::move(*listener),
                     std::move(stdin_fd));
  }

  agent::monitor_starter& starter_of(std::uint64_t job, const wire::program_description& program,
                                     const std::string& binary) {
    auto& starter = starters[job];
    if (starter) return *starter;
    job_binaries[job] = program.binary_hash;
    starter = agent::monitor_starter::create(
        io, process::program_image{binary, program.argv, program.env},
        agent::spawn_method_of(program.env), [this, job](const std::string& why) {
          char name[24];
          std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(job));
          log.warn(std::string("job ") + name + ": " + why);
        });
    return *starter;
  }

  void stop_starter(std::uint64_t job) {
    auto it = starters.find(job);
    if (it == starters.end()) return;
    it->second->stop();  // lives on until the requests sent to its server are answered
    starters.erase(it);
    job_binaries.erase(job);
  }

  void on_started(const pid& process, std::expected<void, std::string> started) {
    auto it = pending_launches.find(process);
    if (it == pending_launches.end()) return;
    const auto request = it->second;
    pending_launches.erase(it);
    counters.process_launched(static_cast<bool>(started));
    if (!started) {
      if (pid_access::serial(process) == 1) stdin_feeds.erase(pid_access::job(process));
      return to_master(wire::launch_result{request, pid{}, false, started.error()});
    }
    to_master(wire::launch_result{request, process, false, {}});
  }

  // Without its master nobody can see or reach this node's processes: they must not live on.
  void master_lost(const std::string& why) {
    if (!master) return;
    master.reset();
    ownership.lost(std::chrono::steady_clock::now());
    log.warn("lost the master " + ownership.owner() + " (from " + owner_peer + ": " + why +
             "): ending every process on this node");
    processes.terminate(0, false);
    stdin_feeds.clear();
    // Nobody will credit what was sent: the monitors must be read to their end.
    output_in_flight.clear();
    processes.hold_output(0, false);
    for (auto& [job, starter] : starters) starter->stop();
    starters.clear();
    job_binaries.clear();
  }
};

fabric_node::fabric_node(asio::io_context& io, node_options options, const cluster::daemon_log& log,
                         metrics::daemon_counters& counters)
    : state_(std::make_unique<state>(io, std::move(options), log, counters)) {
  state_->pruner.start();
}

node_figures fabric_node::figures() const {
  node_figures f;
  f.address = state_->options.listen.text;
  f.master = state_->ownership.owner();
  f.master_linked = state_->master != nullptr;
  f.processes_running = state_->processes.live_processes();
  f.processes_recorded = state_->processes.recorded_processes();
  return f;
}

std::uint64_t fabric_node::binaries_evicted() const {
  return state_->pruner.evicted();
}

fabric_node::~fabric_node() = default;

void fabric_node::adopt_master(std::shared_ptr<agent::frame_connection> connection,
                               std::string identity, std::string peer,
                               std::string already_received) {
  auto& st = *state_;
  const auto now = std::chrono::steady_clock::now();
  const auto decision = st.ownership.claim(identity, now);
  if (!decision.accepted) {
    const auto verdict = st.refusals.occurred(identity, now);
    if (verdict.log)
      st.log.warn("refused master " + identity + " (from " + peer + "): " + decision.problem +
                  cluster::repeat_limiter::note(verdict));
    // Refused with a reason the master logs; it closes the link on reading it, and the link
    // lives until then (or until it fails) only through the handlers that hold it.
    connection->start([](std::uint8_t, std::string_view) {},
                      [keep = connection](const agent::connection_end&) {},
                      std::move(already_received));
    connection->send(wire::encode_message(wire::master_verdict{false, decision.problem}));
    return;
  }
  if (!decision.previous_owner.empty())
    st.log.info("master " + decision.previous_owner +
                " has been gone past the grace period: this node now belongs to master " +
                identity);
  if (st.master) {
    // The owner again (another master is refused while the owner is linked): its new link
    // replaces the old one, which master_lost counts as gone, so the owner claims the node back.
    st.log.warn("master " + identity + " connected again from " + peer +
                ": its previous link is replaced");
    st.master->close();
    st.master_lost("replaced by a new link");
    st.ownership.claim(identity, now);
  }
  st.owner_peer = peer;
  st.master = connection;
  st.log.info("master " + identity + " connected from " + peer);
  connection->start([this](std::uint8_t type,
                           std::string_view payload) { state_->on_master_frame(type, payload); },
                    [this, weak = std::weak_ptr(connection)](const agent::connection_end& end) {
                      if (weak.lock() == state_->master) state_->master_lost(end.text);
                    },
                    std::move(already_received));
  connection->send(wire::encode_message(wire::master_verdict{true, {}}));
}

void fabric_node::stop_all(bool immediately) {
  state_->processes.terminate(0, immediately);
  if (immediately) state_->processes.kill_everything();
}

bool fabric_node::idle() const {
  return state_->processes.all_done();
}

}  // namespace constellation::fabric
