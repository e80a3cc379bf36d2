#include "master/master.hpp"

#include "master/node_links.hpp"
#include "master/scheduler.hpp"

#include "cluster/cache_pruner.hpp"
#include "wire/cluster_messages.hpp"

#include <map>
#include <utility>

namespace constellation::fabric {

using connection_ptr = std::shared_ptr<agent::frame_connection>;

namespace {

template <class Message>
void send(const connection_ptr& c, const Message& m) {
  if (c && c->open()) c->send(wire::encode_message(m));
}

}  // namespace

// The master's I/O: its links to the nodes and the bridges' connections. It turns their frames
// into the scheduler's events, and the scheduler's messages into frames; what to do is the
// scheduler's decision (scheduler.hpp).
class master::shell final : public scheduler_actions {
 public:
  shell(boost::asio::io_context& io, cluster_config config, std::string secret,
        cluster::binary_cache cache, cluster::cache_bounds bounds, const cluster::daemon_log& log,
        metrics::daemon_counters& counters)
      : log_(log),
        cache_(std::move(cache)),
        pruner_(io.get_executor(), cache_, bounds, log, "the master's cache",
                [this] { return scheduler_.binaries_in_use(); }),
        nodes_(io, config, std::move(secret), log,
               {[this](std::size_t node) { scheduler_.node_up(node); },
                [this](std::size_t node, std::uint8_t type, std::string_view payload) {
                  on_node_frame(node, type, payload);
                },
                [this](std::size_t node) { scheduler_.node_lost(node); }}),
        scheduler_(config, *this, log, counters) {}

  void start() {
    pruner_.start();
    nodes_.start();
  }

  void adopt_bridge(connection_ptr connection, std::string already_received) {
    log_.info("bridge connected");
    const auto id = next_bridge_++;
    bridges_.emplace(id, connection);
    connection->start([this, id](std::uint8_t type,
                                 std::string_view payload) { on_bridge_frame(id, type, payload); },
                      [this, id](const agent::connection_end&) { bridge_lost(id); },
                      std::move(already_received));
  }

  scheduler& jobs() { return scheduler_; }
  const scheduler& jobs() const { return scheduler_; }
  std::uint64_t binaries_evicted() const { return pruner_.evicted(); }

  // ---- scheduler_actions ----

  void to_node(std::size_t node, node_message message) override {
    if (const auto* order = std::get_if<wire::launch_order>(&message))
      upload_binary(node, order->program.binary_hash);
    std::visit([&](const auto& m) { nodes_.send(node, wire::encode_message(m)); }, message);
  }

  void to_bridge(bridge_id bridge, bridge_message message) override {
    if (auto it = bridges_.find(bridge); it != bridges_.end())
      std::visit([&](const auto& m) { send(it->second, m); }, message);
  }

  void forget_binary(std::size_t node, const std::string& hash) override {
    nodes_.forget_binary(node, hash);
  }

  bool binary_cached(const std::string& hash) override {
    return static_cast<bool>(cache_.find(hash));
  }

 private:
  // Sent once per node: every later launch there names the binary by its hash only.
  void upload_binary(std::size_t node, const std::string& hash) {
    if (nodes_.has_binary(node, hash)) return;
    auto bytes = cache_.load(hash);
    if (!bytes) return;
    nodes_.send(node, wire::encode_message(wire::binary_upload{hash, std::move(*bytes)}));
    nodes_.sent_binary(node, hash);
  }

  void on_node_frame(std::size_t node, std::uint8_t type, std::string_view payload) {
    switch (static_cast<wire::cluster_type>(type)) {
      case wire::cluster_type::launch_result:
        if (auto m = wire::decode_message<wire::launch_result>(payload))
          return scheduler_.launch_result(node, *m);
        break;
      case wire::cluster_type::job_event:
        if (auto m = wire::decode_message<wire::job_event>(payload))
          return scheduler_.job_event(node, std::move(m->event));
        break;
      case wire::cluster_type::stdin_credit:
        if (auto m = wire::decode_message<wire::stdin_credit>(payload))
          return scheduler_.stdin_credit(*m);
        break;
      case wire::cluster_type::process_request:
        if (auto m = wire::decode_message<wire::process_request>(payload))
          return scheduler_.process_request(std::move(*m));
        break;
      default:
        break;
    }
    nodes_.malformed(node);
  }

  void on_bridge_frame(bridge_id id, std::uint8_t type, std::string_view payload) {
    const auto found = bridges_.find(id);
    if (found == bridges_.end()) return;  // closed by this master already
    const auto bridge = found->second;
    switch (static_cast<wire::cluster_type>(type)) {
      case wire::cluster_type::job_start:
        if (auto m = wire::decode_message<wire::job_start>(payload))
          return scheduler_.start_job(id, std::move(*m));
        break;
      case wire::cluster_type::binary_upload:
        if (auto m = wire::decode_message<wire::binary_upload>(payload))
          return on_binary(std::move(*m));
        break;
      case wire::cluster_type::stdin_data:
        if (auto m = wire::decode_message<wire::stdin_data>(payload))
          return scheduler_.stdin_data(*m);
        break;
      case wire::cluster_type::stdin_eof:
        if (auto m = wire::decode_message<wire::stdin_eof>(payload))
          return scheduler_.stdin_eof(*m);
        break;
      case wire::cluster_type::end_job:
        if (auto m = wire::decode_message<wire::end_job>(payload))
          return scheduler_.end_job(m->job, m->immediately, m->signal);
        break;
      case wire::cluster_type::output_credit:
        if (auto m = wire::decode_message<wire::output_credit>(payload))
          return scheduler_.output_credit(*m);
        break;
      case wire::cluster_type::status_request:
        return send(bridge, scheduler_.status());
      case wire::cluster_type::jobs_request:
        return send(bridge, scheduler_.jobs_list());
      case wire::cluster_type::kill_job_request:
        if (auto m = wire::decode_message<wire::kill_job_request>(payload))
          return send(bridge, scheduler_.kill(m->job));
        break;
      default:
        break;
    }
    log_.warn("a bridge sent a malformed message: closing its connection");
    bridge->close();
    bridge_lost(id);
  }

  void on_binary(wire::binary_upload upload) {
    auto stored = cache_.store(upload.binary_hash, upload.bytes);
    if (stored)
      pruner_.stored(upload.binary_hash);
    else
      log_.warn("a bridge sent a binary that cannot be stored: " + stored.error());
    scheduler_.binary_arrived(upload.binary_hash,
                              stored ? std::nullopt : std::optional(stored.error()));
  }

  // Its close handler is not called after a close asked for, so this runs once per bridge.
  void bridge_lost(bridge_id id) {
    scheduler_.bridge_lost(id);
    bridges_.erase(id);
  }

  const cluster::daemon_log& log_;
  cluster::binary_cache cache_;
  cluster::cache_pruner pruner_;
  std::map<bridge_id, connection_ptr> bridges_;  // connected, by the id the scheduler knows
  bridge_id next_bridge_ = 1;
  node_links nodes_;
  scheduler scheduler_;
};

master::master(boost::asio::io_context& io, cluster_config config, std::string secret,
               cluster::binary_cache cache, cluster::cache_bounds cache_bounds,
               const cluster::daemon_log& log, metrics::daemon_counters& counters)
    : shell_(std::make_unique<shell>(io, std::move(config), std::move(secret), std::move(cache),
                                     cache_bounds, log, counters)) {}

master::~master() = default;

void master::start() {
  shell_->start();
}

void master::adopt_bridge(std::shared_ptr<agent::frame_connection> connection,
                          std::string already_received) {
  shell_->adopt_bridge(std::move(connection), std::move(already_received));
}

void master::end_all_jobs(bool immediately) {
  shell_->jobs().end_all_jobs(immediately);
}

cluster_snapshot master::snapshot() const {
  return shell_->jobs().snapshot();
}

std::uint64_t master::binaries_evicted() const {
  return shell_->binaries_evicted();
}

}  // namespace constellation::fabric
