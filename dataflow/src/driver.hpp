#pragma once
// The driver: the scheduler behind a context. It starts the workers, plans an action's stages from
// the lineage (a shuffle's map stage before the stages that read it; nothing that is still stored),
// runs each stage's tasks where their input lives, and recovers from a lost worker by starting
// another in its slot and recomputing only what the lost one held.

#include "action_progress.hpp"
#include "protocol.hpp"

#include <constellation/channel.hpp>
#include <constellation/dataflow/actions.hpp>
#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/options.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace constellation::dataflow::detail {

class driver : public std::enable_shared_from_this<driver> {
 public:
  explicit driver(const options& o);
  ~driver();

  void start();     // spawns the workers
  void shutdown();  // stops them; later actions throw job_error

  std::size_t workers() const { return slots_.size(); }
  std::size_t default_partitions() const { return partitions_; }

  std::uint64_t register_node(const node_base* n);
  void forget_node(std::uint64_t id);

  bool is_cached(std::uint64_t cache, std::size_t partition) const;
  bool is_cached_at_target(std::uint64_t cache, std::size_t partition) const;
  std::uint32_t shuffle_attempt(std::uint64_t shuffle, std::size_t partition) const;

  void run_action(const char* action, const node_base& root,
                  std::span<const std::size_t> partitions,
                  function_ref<std::string(std::size_t)> make_task,
                  function_ref<void(std::size_t, task_result&&)> each);

 private:
  struct slot {
    pid id;
    std::unique_ptr<sender<command>> to;
    std::unique_ptr<receiver<report>> from;  // receiving thread only, once armed
    std::uint64_t generation = 0;
  };
  struct event {
    std::uint32_t slot = 0;
    std::uint64_t generation = 0;
    bool lost = false;
    std::string why;
    report r;
  };
  struct shuffle_state {
    std::vector<std::uint32_t> attempt;
    std::vector<bool> present;
    std::uint32_t next_attempt = 1;
  };
  // A task of a stage: its bytes are written when it is sent (a rerun reads the attempts of then).
  struct task_plan {
    std::size_t index = 0;  // partition, or map task
    std::function<std::string()> bytes;
    std::optional<origin> where;
  };
  struct stage_label {
    const char* action;
    std::size_t number;
    std::size_t stages;
    std::string kind;
  };
  // An action's results, handed on in order as soon as the ones before are in.
  struct result_delivery {
    function_ref<void(std::size_t, task_result&&)> each;
    std::size_t next = 0;
  };
  struct worker_lost {
    std::uint32_t slot;
    std::string why;
  };

  void spawn_worker(std::uint32_t s);
  void adopt_worker(std::uint32_t s, pid child);
  void introduce_peers();
  void receive(std::uint32_t s, std::uint64_t generation, receiver<report>* from);
  void send(std::uint32_t s, const command& c);
  event next_event();
  void recover(worker_lost lost);
  void replace(const worker_lost& lost);

  std::vector<const node_base*> plan(const node_base& root) const;
  bool complete(const node_base& n) const;
  void run_map_stage(const node_base& n, const stage_label& label);
  std::vector<task_result> run_stage(const stage_label& label, std::vector<task_plan>& tasks,
                                     std::vector<std::optional<task_result>>& results,
                                     std::optional<std::pair<std::uint64_t, std::uint32_t>> flush,
                                     result_delivery* delivery = nullptr);
  std::uint32_t place(const task_plan& t) const;
  void collect_garbage(const node_base* root);

  options options_;
  std::size_t partitions_ = 0;
  std::vector<slot> slots_;
  bool ended_ = false;

  mutable std::mutex nodes_mutex_;
  std::map<std::uint64_t, const node_base*> nodes_;
  std::vector<std::uint64_t> forgotten_;
  std::uint64_t next_node_id_ = 1;

  std::mutex action_mutex_;  // one action at a time
  std::map<std::uint64_t, shuffle_state> shuffles_;
  std::map<std::uint64_t, std::map<std::uint32_t, std::uint32_t>>
      caches_;  // cache -> partition -> slot
  std::uint64_t next_task_id_ = 1;
  std::uint32_t target_slot_ = 0;  // the worker of the task being written
  std::size_t replacements_ = 0;
  action_progress* progress_ = nullptr;  // the running action's line

  std::mutex events_mutex_;
  std::condition_variable events_changed_;
  std::deque<event> events_;

  // The thread that receives the workers' reports, with its receivers. A receive still pending
  // when the driver ends completes later, into this io_context: so it outlives the driver (see
  // retire_receiving()).
  struct receiving_side {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
        boost::asio::make_work_guard(io);
    std::vector<std::unique_ptr<receiver<report>>> receivers;  // its thread only
    std::thread thread;
  };
  std::unique_ptr<receiving_side> receiving_ = std::make_unique<receiving_side>();
};

}  // namespace constellation::dataflow::detail
