#include "driver.hpp"

#include "worker.hpp"

#include <constellation/counters.hpp>
#include <constellation/dataflow/actions.hpp>
#include <constellation/init.hpp>
#include <constellation/progress.hpp>
#include <constellation/spawn.hpp>
#include <constellation/supervision.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace constellation::dataflow::detail {

namespace {

std::size_t usable_cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::uint64_t machine_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

// A job with workers = 0 takes what there is room for, up to this many.
constexpr std::size_t most_workers_found = 1024;

// How many workers of this request a machine has room for when nothing places processes (a native
// run): the cores this process may run on, a worker taking at least one so that workers never
// outnumber cores, and the machine's memory, which each worker may fill up to its budget. CPU is
// counted in micro-cores, as the fabric's placement counts it, so that 2 cores hold exactly two
// workers of 1 core. Throws job_error when there is room for none.
std::size_t native_room(const resources& worker) {
  constexpr double micro_per_core = 1e6;
  const auto cores = usable_cores();
  const auto memory = machine_memory();
  const double asked = std::max(worker.cpu * micro_per_core, micro_per_core);
  std::uint64_t room = 0;
  if (asked < 0x1p62) {  // else (also NaN) no machine holds it
    room = static_cast<std::uint64_t>(cores) * static_cast<std::uint64_t>(micro_per_core) /
           static_cast<std::uint64_t>(std::llround(asked));
  }
  if (worker.mem > 0 && memory > 0) room = std::min<std::uint64_t>(room, memory / worker.mem);
  if (room == 0)
    throw job_error("dataflow: this machine has no room for a worker of " + to_string(worker) +
                    " (it has " + std::to_string(cores) + " usable cores and " +
                    std::to_string(memory / MiB) +
                    " MiB of memory): ask for less in options::worker");
  return static_cast<std::size_t>(std::min<std::uint64_t>(room, most_workers_found));
}

// How long a worker waits for room in the cluster before the driver gives up: a cluster that lost
// a node may have none, and a job that waits forever looks hung.
constexpr auto room_patience = std::chrono::seconds(60);

// The driver takes charge of its workers' failures: a lost worker is replaced and its work redone,
// so its death (still shown by the bridge) does not fail the job. The user's own spawns are not
// affected: the flag is on only while workers are spawned.
class trapping_exits {
 public:
  trapping_exits() { this_process::trap_exits(true); }
  ~trapping_exits() { this_process::trap_exits(false); }
  trapping_exits(const trapping_exits&) = delete;
  trapping_exits& operator=(const trapping_exits&) = delete;
};

}  // namespace

// A receiving side whose thread has stopped, kept to the end of the process: the channel runtime
// may still complete a receive into it (a worker that outlived the shutdown's wait), and its
// io_context must then exist, though it runs nothing more.
void retire_receiving(std::unique_ptr<void, void (*)(void*)> side) {
  static std::mutex mutex;
  static auto* retired =
      new std::vector<std::unique_ptr<void, void (*)(void*)>>();  // never destroyed
  std::lock_guard lock(mutex);
  retired->push_back(std::move(side));
}

driver::driver(const options& o) : options_(o) {
  receiving_->thread = std::thread([side = receiving_.get()] { side->io.run(); });
}

driver::~driver() {
  shutdown();
  receiving_->work.reset();
  receiving_->io.stop();
  receiving_->thread.join();
  retire_receiving(
      {receiving_.release(), [](void* side) { delete static_cast<receiving_side*>(side); }});
}

// Waits a bounded time for room (a cluster that lost a node may have none), then gives up.
void driver::spawn_worker(std::uint32_t s) {
  trapping_exits trapping;
  const auto deadline = std::chrono::steady_clock::now() + room_patience;
  auto spawned = try_spawn(options_.worker, &worker_main, s, std::uint64_t(options_.worker.mem));
  while (!spawned && spawned.error().reason() == spawn_errc::no_capacity &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    spawned = try_spawn(options_.worker, &worker_main, s, std::uint64_t(options_.worker.mem));
  }
  if (!spawned) {
    const std::string cause =
        spawned.error().reason() == spawn_errc::no_capacity
            ? "no node had room for it for " + std::to_string(room_patience.count()) + " s"
            : spawned.error().what();
    throw job_error("dataflow: cannot start worker " + std::to_string(s) + " with " +
                    to_string(options_.worker) + ": " + cause);
  }
  adopt_worker(s, *spawned);
}

// Puts a started worker in slot s (a new generation of it) and starts receiving its reports.
void driver::adopt_worker(std::uint32_t s, pid child) {
  if (s >= slots_.size()) slots_.resize(s + 1);
  auto& taken = slots_[s];
  taken.id = child;
  taken.to = std::make_unique<sender<command>>(child);
  const auto generation = ++taken.generation;
  boost::asio::post(receiving_->io, [this, s, generation, child] {
    receiving_->receivers.push_back(std::make_unique<receiver<report>>(child));
    receive(s, generation, receiving_->receivers.back().get());
  });
}

void driver::start() {
  if (options_.workers != 0) {
    for (std::uint32_t s = 0; s < options_.workers; ++s) spawn_worker(s);
  } else if (!this_process::deployed()) {
    const auto n = native_room(options_.worker);
    for (std::uint32_t s = 0; s < n; ++s) spawn_worker(s);
  } else {
    // Deployed: the first worker waits a bounded time for room; the others take what fits now.
    spawn_worker(0);
    trapping_exits trapping;
    while (slots_.size() < most_workers_found) {
      const auto s = static_cast<std::uint32_t>(slots_.size());
      auto child = try_spawn(options_.worker, &worker_main, s, std::uint64_t(options_.worker.mem));
      if (!child) break;  // no room left, or a node could not start it: go on with those there are
      adopt_worker(s, *child);
    }
  }
  partitions_ = options_.partitions != 0 ? options_.partitions : 2 * slots_.size();
  try {
    introduce_peers();
  } catch (const worker_lost& lost) {
    recover(lost);
  }
}

void driver::introduce_peers() {
  command c;
  c.what = command::kind::peers;
  for (const auto& s : slots_) c.peers.push_back(s.id);
  for (std::uint32_t s = 0; s < slots_.size(); ++s) send(s, c);
}

void driver::shutdown() {
  std::lock_guard lock(action_mutex_);
  if (ended_) return;
  ended_ = true;
  command stop;
  stop.what = command::kind::stop;
  for (auto& s : slots_) {
    try {
      if (s.to) s.to->send(stop);
    } catch (const channel_error&) {
      // Already gone.
    }
  }
  // Wait for each worker to end (its report channel closes), so that none outlives the context.
  std::size_t ended = 0;
  std::vector<bool> gone(slots_.size(), false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::unique_lock events(events_mutex_);
  while (ended < slots_.size()) {
    if (!events_changed_.wait_until(events, deadline, [&] { return !events_.empty(); })) break;
    auto e = std::move(events_.front());
    events_.pop_front();
    if (e.lost && e.generation == slots_[e.slot].generation && !gone[e.slot]) {
      gone[e.slot] = true;
      ++ended;
    }
  }
}

void driver::receive(std::uint32_t s, std::uint64_t generation, receiver<report>* from) {
  from->async_recv(boost::asio::bind_executor(
      receiving_->io, [this, s, generation, from](boost::system::error_code ec, report r) {
        event e;
        e.slot = s;
        e.generation = generation;
        if (ec) {
          e.lost = true;
          e.why = ec == make_error_code(channel_errc::exited) ? "the worker exited"
                                                              : "the worker " + ec.message();
        } else {
          e.r = std::move(r);
        }
        {
          std::lock_guard lock(events_mutex_);
          events_.push_back(std::move(e));
        }
        events_changed_.notify_all();
        if (!ec) receive(s, generation, from);
      }));
}

driver::event driver::next_event() {
  std::unique_lock lock(events_mutex_);
  events_changed_.wait(lock, [&] { return !events_.empty(); });
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void driver::send(std::uint32_t s, const command& c) {
  try {
    slots_[s].to->send(c);
  } catch (const channel_error& e) {
    throw worker_lost{s, e.what()};
  }
}

std::uint64_t driver::register_node(const node_base* n) {
  std::lock_guard lock(nodes_mutex_);
  const auto id = next_node_id_++;
  nodes_[id] = n;
  return id;
}

void driver::forget_node(std::uint64_t id) {
  std::lock_guard lock(nodes_mutex_);
  nodes_.erase(id);
  forgotten_.push_back(id);
}

bool driver::is_cached(std::uint64_t cache, std::size_t partition) const {
  auto found = caches_.find(cache);
  return found != caches_.end() && found->second.contains(static_cast<std::uint32_t>(partition));
}

bool driver::is_cached_at_target(std::uint64_t cache, std::size_t partition) const {
  auto found = caches_.find(cache);
  if (found == caches_.end()) return false;
  auto held = found->second.find(static_cast<std::uint32_t>(partition));
  return held != found->second.end() && held->second == target_slot_;
}

std::uint32_t driver::shuffle_attempt(std::uint64_t shuffle, std::size_t partition) const {
  auto found = shuffles_.find(shuffle);
  if (found == shuffles_.end() || partition >= found->second.attempt.size()) return 0;
  return found->second.attempt[partition];
}

bool driver::complete(const node_base& n) const {
  if (n.wide()) {
    auto found = shuffles_.find(n.id());
    return found != shuffles_.end() &&
           std::all_of(found->second.present.begin(), found->second.present.end(),
                       [](bool b) { return b; });
  }
  if (n.is_cache()) {
    auto found = caches_.find(n.id());
    return found != caches_.end() && found->second.size() == n.partitions();
  }
  return false;
}

// The shuffles to compute before root's partitions can be: every wide node reachable through
// narrow steps that is not complete, after the shuffles its own map stage reads. Complete caches
// and shuffles cut the walk: their lineage is not needed.
std::vector<const node_base*> driver::plan(const node_base& root) const {
  std::vector<const node_base*> order;
  std::set<std::uint64_t> seen;
  std::function<void(const node_base*)> visit = [&](const node_base* n) {
    if (!seen.insert(n->id()).second) return;
    if ((n->wide() || n->is_cache()) && complete(*n)) return;
    for (const auto* p : n->parents()) visit(p);
    if (n->wide()) order.push_back(n);
  };
  visit(&root);
  return order;
}

std::uint32_t driver::place(const task_plan& t) const {
  const auto workers = static_cast<std::uint32_t>(slots_.size());
  if (t.where && t.where->stored) {
    const auto& stored = *t.where->stored;
    if (stored.wide()) return static_cast<std::uint32_t>(t.where->partition % workers);
    auto cache = caches_.find(stored.id());
    if (cache != caches_.end()) {
      auto held = cache->second.find(static_cast<std::uint32_t>(t.where->partition));
      if (held != cache->second.end()) return held->second;
    }
  }
  return static_cast<std::uint32_t>(t.index % workers);
}

std::vector<task_result> driver::run_stage(
    const stage_label& label, std::vector<task_plan>& tasks,
    std::vector<std::optional<task_result>>& results,
    std::optional<std::pair<std::uint64_t, std::uint32_t>> flush, result_delivery* delivery) {
  results.resize(tasks.size());
  constexpr std::size_t flush_marker = ~std::size_t(0);
  std::map<std::uint64_t, std::size_t> in_flight;  // task id -> index in tasks
  std::map<std::size_t, task_result> partial;
  std::map<std::size_t, std::size_t> partial_bytes;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (results[i]) continue;
    command c;
    c.what = command::kind::task;
    c.task_id = next_task_id_++;
    c.partition = static_cast<std::uint32_t>(tasks[i].index);
    target_slot_ = place(tasks[i]);
    c.bytes = tasks[i].bytes();
    in_flight[c.task_id] = i;
    send(target_slot_, c);
  }
  const std::size_t sent = in_flight.size();
  if (flush) {
    for (std::uint32_t s = 0; s < slots_.size(); ++s) {
      command c;
      c.what = command::kind::flush;
      c.task_id = next_task_id_++;
      c.shuffle = flush->first;
      c.attempt = flush->second;
      in_flight[c.task_id] = flush_marker;
      send(s, c);
    }
  }
  if (progress_) progress_->stage(label.number, label.stages, label.kind, sent);
  std::optional<std::pair<std::size_t, std::string>> failure;
  while (!in_flight.empty()) {
    auto e = next_event();
    if (e.generation != slots_[e.slot].generation) continue;  // from a worker already replaced
    if (e.lost) throw worker_lost{e.slot, e.why};
    auto found = in_flight.find(e.r.task_id);
    if (found == in_flight.end()) continue;  // a task of a stage given up after a lost worker
    const auto i = found->second;
    switch (e.r.what) {
      case report::kind::result_part:
        partial_bytes[i] += e.r.bytes.size();
        partial[i].push_back(std::move(e.r.bytes));
        break;
      case report::kind::done:
        if (progress_)
          progress_->task_done(e.r.records_in, e.r.shuffle_bytes, e.r.spill_bytes,
                               partial_bytes[i]);
        // Summed over the job by the cluster's master, for its /metrics and status page.
        add_to_counter("dataflow_tasks");
        add_to_counter("dataflow_records_in", static_cast<double>(e.r.records_in));
        add_to_counter("dataflow_shuffle_bytes", static_cast<double>(e.r.shuffle_bytes));
        add_to_counter("dataflow_spill_bytes", static_cast<double>(e.r.spill_bytes));
        results[i] = std::move(partial[i]);
        partial.erase(i);
        partial_bytes.erase(i);
        for (const auto& [cache, partition] : e.r.kept) caches_[cache][partition] = e.slot;
        in_flight.erase(found);
        // A delivered result stays present (and empty): a rerun after a lost worker skips it.
        while (delivery && !failure && delivery->next < results.size() && results[delivery->next]) {
          delivery->each(delivery->next, std::move(*results[delivery->next]));
          *results[delivery->next] = task_result();
          ++delivery->next;
        }
        break;
      case report::kind::failed:
        if (!failure) failure.emplace(tasks[i].index, e.r.error);
        in_flight.erase(found);
        break;
      case report::kind::flushed:
        in_flight.erase(found);
        break;
    }
  }
  if (failure) {
    throw job_error("dataflow: " + std::string(label.action) + " failed in stage " +
                    std::to_string(label.number) + " of " + std::to_string(label.stages) + " (" +
                    label.kind + "), partition " + std::to_string(failure->first) + ": " +
                    failure->second);
  }
  std::vector<task_result> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

void driver::run_map_stage(const node_base& n, const stage_label& label) {
  const auto* wide = n.wide();
  auto& state = shuffles_[n.id()];
  if (state.attempt.empty()) {
    state.attempt.assign(n.partitions(), 0);
    state.present.assign(n.partitions(), false);
  }
  stage_label mapping = label;
  if (wide->needs_sampling()) {
    std::vector<task_plan> samples;
    for (std::size_t i = 0; i < wide->map_tasks(); ++i)
      samples.push_back({i, [wide, i] { return wide->sample_task(i); }, wide->map_origin(i)});
    std::vector<std::optional<task_result>> results;
    stage_label sampling = label;
    sampling.kind += " sample";
    std::vector<std::string> drawn;
    for (auto& parts : run_stage(sampling, samples, results, std::nullopt)) {
      drawn.emplace_back();
      for (const auto& part : parts) drawn.back() += part;
    }
    wide->take_samples(drawn);
    ++mapping.number;
  }
  write_target target;
  target.attempt = state.next_attempt++;
  const bool all_missing =
      std::none_of(state.present.begin(), state.present.end(), [](bool b) { return b; });
  if (!all_missing) {
    target.only.resize(state.present.size());
    for (std::size_t r = 0; r < state.present.size(); ++r) target.only[r] = !state.present[r];
  }
  std::vector<task_plan> tasks;
  for (std::size_t i = 0; i < wide->map_tasks(); ++i)
    tasks.push_back(
        {i, [wide, i, target] { return wide->map_task(i, target); }, wide->map_origin(i)});
  std::vector<std::optional<task_result>> results;
  run_stage(mapping, tasks, results, std::pair(n.id(), target.attempt));
  for (std::size_t r = 0; r < state.present.size(); ++r) {
    if (!target.wanted(r)) continue;
    state.attempt[r] = target.attempt;
    state.present[r] = true;
  }
}

// Replacing one worker may find another gone (introducing the new one to its peers fails): replace
// that one too, until every slot has a live worker or replace() gives up.
void driver::recover(worker_lost lost) {
  for (;;) {
    try {
      replace(lost);
      return;
    } catch (const worker_lost& again) {
      lost = again;
    }
  }
}

void driver::replace(const worker_lost& lost) {
  const auto workers = slots_.size();
  if (++replacements_ > 3 * workers + 3)
    throw job_error("dataflow: workers keep dying (the last in slot " + std::to_string(lost.slot) +
                    ": " + lost.why + "); giving up");
  for (auto& [id, state] : shuffles_)
    for (std::size_t r = lost.slot; r < state.present.size(); r += workers)
      state.present[r] = false;
  for (auto& [id, held] : caches_)
    std::erase_if(held, [&](const auto& entry) { return entry.second == lost.slot; });
  spawn_worker(lost.slot);
  introduce_peers();
}

// Drops the stored shuffle outputs and caches that nothing the user holds (nor the running
// action's root) can read any more: what a handle reaches through narrow steps, and the lineage of
// what is not yet complete. Run before an action and between its stages, so that a loop of many
// stages in one action (PageRank's iterations, each caching its ranks) does not keep every
// iteration's shuffle until the end.
void driver::collect_garbage(const node_base* root) {
  std::set<std::uint64_t> needed;
  std::vector<std::uint64_t> dropped;
  {
    std::lock_guard lock(nodes_mutex_);
    std::set<std::uint64_t> seen;
    std::function<void(const node_base*)> visit = [&](const node_base* n) {
      if (!seen.insert(n->id()).second) return;
      if (n->wide() || n->is_cache()) {
        needed.insert(n->id());
        if (complete(*n)) return;
      }
      for (const auto* p : n->parents()) visit(p);
    };
    for (const auto& [id, n] : nodes_)
      if (n->has_handles()) visit(n);
    if (root) visit(root);
    dropped = std::move(forgotten_);
    forgotten_.clear();
  }
  for (const auto& [id, state] : shuffles_)
    if (!needed.contains(id)) dropped.push_back(id);
  for (const auto& [id, held] : caches_)
    if (!needed.contains(id)) dropped.push_back(id);
  std::sort(dropped.begin(), dropped.end());
  dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
  std::erase_if(dropped,
                [&](std::uint64_t id) { return !shuffles_.contains(id) && !caches_.contains(id); });
  if (dropped.empty()) return;
  for (auto id : dropped) {
    shuffles_.erase(id);
    caches_.erase(id);
  }
  command c;
  c.what = command::kind::drop;
  c.dropped = std::move(dropped);
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    try {
      send(s, c);
    } catch (const worker_lost&) {
      // Whatever it held is gone with it; the next stage finds out and replaces it.
    }
  }
}

void driver::run_action(const char* action, const node_base& root,
                        std::span<const std::size_t> partitions,
                        function_ref<std::string(std::size_t)> make_task,
                        function_ref<void(std::size_t, task_result&&)> each) {
  std::lock_guard lock(action_mutex_);
  if (ended_) throw job_error(std::string("dataflow: ") + action + " after the context ended");
  std::vector<std::optional<task_result>> results(partitions.size());
  result_delivery delivery{each};
  action_progress progress(options_.progress, action);
  progress_ = &progress;
  struct forget_progress {
    action_progress*& line;
    ~forget_progress() { line = nullptr; }
  } forget{progress_};
  for (;;) {
    try {
      collect_garbage(&root);
      const auto order = plan(root);
      std::size_t stages = 1 + order.size();
      for (const auto* n : order) stages += n->wide()->needs_sampling() ? 1 : 0;
      std::size_t number = 1;
      for (const auto* n : order) {
        const bool sampled = n->wide()->needs_sampling();
        run_map_stage(*n, {action, number, stages, n->kind()});
        number += sampled ? 2 : 1;
        collect_garbage(&root);
      }
      std::vector<task_plan> tasks;
      for (auto p : partitions)
        tasks.push_back({p, [&make_task, p] { return make_task(p); }, root.origin_of(p)});
      run_stage({action, number, stages, root.kind()}, tasks, results, std::nullopt, &delivery);
      return;
    } catch (const worker_lost& lost) {
      recover(lost);
    } catch (const job_error&) {
      throw;
    } catch (const std::exception& e) {
      throw job_error(std::string("dataflow: ") + action + ": " + e.what());
    }
  }
}

}  // namespace constellation::dataflow::detail
