// The master's scheduler driven event by event, as the master's links would drive it, in orders
// chosen to reach each decision: what it sends, to whom, in which order.

#include "master/scheduler.hpp"
#include "metrics/daemon_counters.hpp"

#include "runtime/pid_access.hpp"

#include <constellation/detail/serialization.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

using namespace constellation;
using namespace constellation::fabric;
using namespace constellation::literals;
using detail::pid_access;

namespace {

constexpr bridge_id the_bridge = 7;
constexpr std::uint64_t job_id = 0x1234;
const std::string binary = std::string(64, 'a');

template <class T, class Variant>
struct is_one_of;
template <class T, class... Ts>
struct is_one_of<T, std::variant<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

// One message the scheduler sent, to a node or to a bridge.
struct sent {
  std::size_t node = 0;  // when to a node
  bridge_id bridge = 0;  // when to a bridge
  std::variant<node_message, bridge_message> message;

  template <class Message>
  const Message* as() const {
    if constexpr (is_one_of<Message, node_message>::value)
      if (const auto* n = std::get_if<node_message>(&message)) return std::get_if<Message>(n);
    if constexpr (is_one_of<Message, bridge_message>::value)
      if (const auto* b = std::get_if<bridge_message>(&message)) return std::get_if<Message>(b);
    return nullptr;
  }
};

// Records what the scheduler asks for, in order.
class recorder final : public scheduler_actions {
 public:
  void to_node(std::size_t node, node_message message) override {
    sent_.push_back({node, 0, std::move(message)});
  }
  void to_bridge(bridge_id bridge, bridge_message message) override {
    sent_.push_back({0, bridge, std::move(message)});
  }
  void forget_binary(std::size_t node, const std::string& hash) override {
    forgotten.emplace_back(node, hash);
  }
  bool binary_cached(const std::string& hash) override { return cached.contains(hash); }

  // What was sent since the last call.
  std::vector<sent> take() { return std::exchange(sent_, {}); }

  std::set<std::string> cached{binary};
  std::vector<std::pair<std::size_t, std::string>> forgotten;

 private:
  std::vector<sent> sent_;
};

// The cluster of nodes.example.toml: 2 GiB/2 cores, 1 GiB/1 core, 512 MiB/0.5 core.
cluster_config example_cluster() {
  cluster_config config;
  const std::pair<std::uint64_t, double> sizes[] = {{2_GiB, 2}, {1_GiB, 1}, {512_MiB, 0.5}};
  for (int i = 0; i < 3; ++i) {
    node_config n;
    n.fabric.text = "127.0.0.1" + std::to_string(i + 1) + ":7100";
    n.mem = sizes[i].first;
    n.cpu = sizes[i].second;
    config.nodes.push_back(n);
  }
  return config;
}

struct fixture {
  cluster_config config = example_cluster();
  cluster::daemon_log log{"scheduler_test", false, cluster::log_level::warn};
  metrics::daemon_counters counters;
  recorder actions;
  scheduler jobs{config, actions, log, counters};

  std::string address(std::size_t node) const { return config.nodes[node].fabric.text; }

  void start_job(resources top_needs, std::uint64_t id = job_id) {
    wire::job_start start;
    start.job = id;
    start.program.binary_hash = binary;
    start.program.argv = {"program"};
    start.top_needs = top_needs;
    start.client = "127.0.0.1";
    jobs.start_job(the_bridge, std::move(start));
  }

  // The one launch order among what was sent, to the node expected.
  wire::launch_order launched_on(std::size_t node, const std::vector<sent>& what) {
    std::vector<wire::launch_order> orders;
    for (const auto& s : what)
      if (const auto* order = s.as<wire::launch_order>()) {
        CHECK(s.node == node);
        orders.push_back(*order);
      }
    REQUIRE(orders.size() == 1);
    return orders.front();
  }

  // The node's answer that the process of order started; that process.
  pid started(std::size_t node, const wire::launch_order& order) {
    jobs.launch_result(node, {order.request_id, order.spec.self, false, {}});
    return order.spec.self;
  }

  // The job's top process, started on node.
  wire::launch_order start_top(std::size_t node, resources needs) {
    start_job(needs);
    const auto order = launched_on(node, actions.take());
    CHECK(order.spec.what == wire::launch_spec::kind::top);
    jobs.launch_result(node, {order.request_id, order.spec.self, false, {}});
    return order;
  }

  // Nodes 0 and 1 up, and the job's top process sent to node 0, not started yet; its order.
  wire::launch_order top_placed_on_node_0() {
    jobs.node_up(0);
    jobs.node_up(1);
    start_job({1_GiB, 1});
    return launched_on(0, actions.take());
  }

  // Nodes 0 and 1 up, and the job's top process filling node 0; its pid.
  pid top_filling_node_0() {
    jobs.node_up(0);
    jobs.node_up(1);
    const auto top = start_top(0, {2_GiB, 2}).spec.self;
    actions.take();
    return top;
  }

  // A child of parent spawned (as request) and started on node, its spawner told; its pid.
  pid child_started_on(std::size_t node, const pid& parent, std::uint64_t request,
                       resources needs) {
    spawn(parent, request, needs);
    const auto child = started(node, launched_on(node, actions.take()));
    actions.take();
    return child;
  }

  // A spawn asked for by from, as its node passes it on.
  void spawn(const pid& from, std::uint64_t request, resources needs, bool wait = true) {
    wire::spawn_request s;
    s.request_id = request;
    s.parent = from;
    s.needs = needs;
    s.wait_for_capacity = wait;
    jobs.process_request({from, static_cast<std::uint8_t>(wire::message_type::spawn_request),
                          constellation::detail::serialize_value(s)});
  }

  void exited(std::size_t node, const pid& p, int code = 0) {
    jobs.job_event(node, report::exit_event{p, {report::exit_status::kind::code, code}, {}});
  }
};

// The reply a spawner's node was sent, as the frame it carries.
std::string reply_frame(const wire::spawn_reply& reply) {
  return wire::encode_message(reply);
}

template <class Message>
std::vector<Message> all_of(const std::vector<sent>& what) {
  std::vector<Message> found;
  for (const auto& s : what)
    if (const auto* m = s.as<Message>()) found.push_back(*m);
  return found;
}

// The nodes sent an end_job for job, in order.
std::vector<std::size_t> ended_on(const std::vector<sent>& what, std::uint64_t job = job_id) {
  std::vector<std::size_t> nodes;
  for (const auto& s : what)
    if (const auto* e = s.as<wire::end_job>(); e && e->job == job) nodes.push_back(s.node);
  return nodes;
}

}  // namespace

TEST_CASE("scheduler: a job's top process goes to the first node that is up and has room") {
  fixture f;
  f.jobs.node_up(1);
  f.jobs.node_up(2);
  f.start_job({512_MiB, 0.5});
  const auto what = f.actions.take();
  // Node 0 would come first, but it is down.
  const auto order = f.launched_on(1, what);
  CHECK(order.spec.what == wire::launch_spec::kind::top);
  CHECK(order.spec.self == pid_access::make(job_id, 1, 0, 0));
  CHECK(order.spec.needs == resources{512_MiB, 0.5});
  CHECK(order.program.binary_hash == binary);
  CHECK(what.size() == 1);
  CHECK(f.jobs.status().nodes[1].mem_used == 512_MiB);
}

TEST_CASE("scheduler: a job whose binary the master lacks asks its bridge for it, then starts") {
  fixture f;
  f.jobs.node_up(0);
  f.actions.cached.clear();
  f.start_job({1_GiB, 1});
  auto what = f.actions.take();
  REQUIRE(what.size() == 1);
  REQUIRE(what[0].as<wire::need_binary>());
  CHECK(what[0].bridge == the_bridge);
  CHECK(f.jobs.jobs_list().jobs.at(0).state == "waiting for its binary");
  f.jobs.binary_arrived(binary, std::nullopt);
  f.launched_on(0, f.actions.take());
}

TEST_CASE("scheduler: a spawn that fits nowhere now waits, and starts where room frees") {
  fixture f;
  const auto top = f.top_filling_node_0();
  f.spawn(top, 1, {1_GiB, 1});
  const auto first = f.launched_on(1, f.actions.take());
  f.jobs.launch_result(1, {first.request_id, first.spec.self, false, {}});
  f.actions.take();

  // Both nodes that are up are full: the next spawn waits, and nothing is sent.
  f.spawn(top, 2, {1_GiB, 1});
  CHECK(f.actions.take().empty());
  CHECK(f.jobs.snapshot().waiting_spawns == 1);

  // The first child ends: its exit goes to the bridge, then the waiting spawn to its room.
  f.exited(1, first.spec.self);
  const auto what = f.actions.take();
  REQUIRE(what.size() == 2);
  REQUIRE(what[0].as<wire::job_event>());
  CHECK(what[0].bridge == the_bridge);
  const auto second = f.launched_on(1, what);
  CHECK(second.spec.parent == top);
  CHECK(second.spec.self == pid_access::make(job_id, 3, 0, 0));
  CHECK(f.jobs.snapshot().waiting_spawns == 0);

  // Its spawner hears of it once it started.
  f.jobs.launch_result(1, {second.request_id, second.spec.self, false, {}});
  const auto replies = all_of<wire::process_reply>(f.actions.take());
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].to == top);
  CHECK(replies[0].frame == reply_frame({2, second.spec.self, 0, {}}));
}

TEST_CASE("scheduler: a waiting spawn starts on a node that comes up") {
  fixture f;
  f.jobs.node_up(0);
  const auto top = f.start_top(0, {2_GiB, 2}).spec.self;
  f.actions.take();
  f.spawn(top, 1, {512_MiB, 0.5});
  CHECK(f.actions.take().empty());
  f.jobs.node_up(2);
  const auto order = f.launched_on(2, f.actions.take());
  CHECK(order.spec.needs == resources{512_MiB, 0.5});
}

TEST_CASE("scheduler: a spawn that cannot wait, or can never fit, is refused to its spawner") {
  fixture f;
  f.jobs.node_up(0);
  const auto top = f.start_top(0, {2_GiB, 2}).spec.self;
  f.actions.take();

  f.spawn(top, 1, {512_MiB, 0.5}, false);
  auto replies = all_of<wire::process_reply>(f.actions.take());
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].frame ==
        reply_frame({1, pid{}, static_cast<std::uint8_t>(spawn_errc::no_capacity),
                     "constellation::spawn(): no node has room for " +
                         to_string(resources{512_MiB, 0.5}) + " now; spawn() would wait for it"}));

  f.spawn(top, 2, {4_GiB, 1});
  replies = all_of<wire::process_reply>(f.actions.take());
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].frame ==
        reply_frame({2, pid{}, static_cast<std::uint8_t>(spawn_errc::never_fits),
                     "constellation::spawn(): no node of the cluster can ever hold " +
                         to_string(resources{4_GiB, 1}) + ": ask for less"}));
  CHECK(f.jobs.snapshot().waiting_spawns == 0);
}

TEST_CASE("scheduler: a node lost mid-job fails its launches, then reports its processes killed") {
  fixture f;
  const auto top = f.top_filling_node_0();
  const auto child = f.child_started_on(1, top, 1, {512_MiB, 0.5});
  f.jobs.job_event(1, report::eof_event{child, 1});
  f.spawn(top, 2, {512_MiB, 0.5});
  const auto in_flight = f.launched_on(1, f.actions.take());

  f.jobs.node_lost(1);
  const auto what = f.actions.take();
  // The launch in flight fails to its spawner, whose node is still up.
  REQUIRE(what.size() == 3);
  REQUIRE(what[0].as<wire::process_reply>());
  CHECK(what[0].node == 0);
  CHECK(what[0].as<wire::process_reply>()->frame ==
        reply_frame({2, pid{}, static_cast<std::uint8_t>(spawn_errc::launch_failed),
                     "constellation::spawn(): the node " + f.address(1) +
                         " was lost while starting the process"}));
  // The running child: the end of the output it had not closed, then its death, to the bridge.
  const auto* eof = what[1].as<wire::job_event>();
  REQUIRE(eof);
  CHECK(what[1].bridge == the_bridge);
  REQUIRE(std::holds_alternative<report::eof_event>(eof->event));
  CHECK(std::get<report::eof_event>(eof->event).process == child);
  CHECK(std::get<report::eof_event>(eof->event).fd == 2);
  const auto* death = what[2].as<wire::job_event>();
  REQUIRE(death);
  const auto& exit = std::get<report::exit_event>(death->event);
  CHECK(exit.process == child);
  CHECK(exit.status.how == report::exit_status::kind::signal);
  CHECK(exit.status.value == SIGKILL);
  CHECK(exit.reason == "its node " + f.address(1) + " was lost");

  // The job goes on on node 0; the node's room is free for when it is back.
  CHECK(f.jobs.jobs_list().jobs.at(0).state == "running");
  CHECK(f.jobs.status().nodes[1].mem_used == 0);
  CHECK(f.jobs.status().nodes[1].up == false);

  // A late answer to the launch that failed is ignored.
  f.jobs.launch_result(1, {in_flight.request_id, in_flight.spec.self, false, {}});
  CHECK(f.actions.take().empty());
  CHECK(f.jobs.snapshot().jobs.at(0).processes.size() == 2);
}

TEST_CASE("scheduler: a node lost between placing a job's top and its start fails the job") {
  fixture f;
  const auto order = f.top_placed_on_node_0();
  f.jobs.node_lost(0);
  const auto what = f.actions.take();
  const auto finished = all_of<wire::job_finished>(what);
  REQUIRE(finished.size() == 1);
  CHECK(finished[0].problem == "the program cannot start: the node " + f.address(0) +
                                   " was lost while starting the process");
  // Only the node still up is told to let go of the job.
  CHECK(ended_on(what) == std::vector<std::size_t>{1});
  CHECK(f.jobs.jobs_list().jobs.at(0).state == "failed");

  // The node comes back and answers late: the job is gone, nothing starts.
  f.jobs.node_up(0);
  f.jobs.launch_result(0, {order.request_id, order.spec.self, false, {}});
  CHECK(f.actions.take().empty());
  CHECK(f.jobs.status().jobs == 0);
}

TEST_CASE("scheduler: a spawn waiting for a node that was lost starts when it is back") {
  fixture f;
  const auto top = f.top_filling_node_0();
  const auto child = f.child_started_on(1, top, 1, {1_GiB, 1});
  f.spawn(top, 2, {1_GiB, 1});
  f.actions.take();
  CHECK(f.jobs.snapshot().waiting_spawns == 1);
  // Node 1 is lost: its room frees, but a node down takes nothing.
  f.jobs.node_lost(1);
  CHECK(all_of<wire::launch_order>(f.actions.take()).empty());
  CHECK(f.jobs.snapshot().jobs.at(0).processes.at(1).pid == child.to_string());
  CHECK_FALSE(f.jobs.snapshot().jobs.at(0).processes.at(1).running);
  f.jobs.node_up(1);
  f.launched_on(1, f.actions.take());
}

TEST_CASE("scheduler: a job ends when its last process exits") {
  fixture f;
  f.jobs.node_up(0);
  f.jobs.node_up(2);
  const auto top = f.start_top(0, {1_GiB, 1}).spec.self;
  const auto child = f.child_started_on(0, top, 1, {512_MiB, 0.5});

  f.exited(0, top, 3);
  auto what = f.actions.take();
  CHECK(what.size() == 1);  // the exit, to the bridge; the child still runs
  CHECK(all_of<wire::job_finished>(what).empty());

  f.exited(0, child);
  what = f.actions.take();
  REQUIRE(what.size() == 4);
  CHECK(what[0].as<wire::job_event>());
  REQUIRE(what[1].as<wire::job_finished>());
  CHECK(what[1].as<wire::job_finished>()->problem.empty());
  CHECK(ended_on(what) == std::vector<std::size_t>{0, 2});
  CHECK(what[2].as<wire::end_job>()->signal == SIGTERM);

  const auto list = f.jobs.jobs_list();
  REQUIRE(list.jobs.size() == 1);
  CHECK(list.jobs[0].state == "finished");
  CHECK(list.jobs[0].outcome == "exit 3");
  CHECK(f.jobs.status().nodes[0].mem_used == 0);
  CHECK(f.jobs.binaries_in_use().empty());
}

TEST_CASE("scheduler: a job ending with a launch in flight ends that process once it starts") {
  fixture f;
  const auto top = f.top_filling_node_0();
  f.spawn(top, 1, {1_GiB, 1});
  const auto order = f.launched_on(1, f.actions.take());
  f.jobs.end_job(job_id, false, SIGINT);
  CHECK(ended_on(f.actions.take()) == std::vector<std::size_t>{0, 1});
  // A spawn asked for now is refused.
  f.spawn(top, 2, {1_GiB, 1});
  CHECK(all_of<wire::launch_order>(f.actions.take()).empty());

  f.jobs.launch_result(1, {order.request_id, order.spec.self, false, {}});
  const auto what = f.actions.take();
  REQUIRE(what.size() == 2);
  CHECK(what[0].as<wire::process_reply>());
  const auto* end = what[1].as<wire::end_job>();
  REQUIRE(end);
  CHECK(what[1].node == 1);
  CHECK(end->signal == SIGINT);
}

TEST_CASE("scheduler: end_all_jobs ends every job and drops the spawns waiting") {
  fixture f;
  f.jobs.node_up(0);
  const auto top = f.start_top(0, {2_GiB, 2}).spec.self;
  f.start_job({1_GiB, 1}, job_id + 1);  // waits: node 0 is full
  f.spawn(top, 1, {512_MiB, 0.5});
  f.actions.take();
  CHECK(f.jobs.snapshot().waiting_spawns == 2);

  f.jobs.end_all_jobs(true);
  const auto what = f.actions.take();
  // The job that never started has nothing left: it ends at once.
  const auto finished = all_of<wire::job_finished>(what);
  REQUIRE(finished.size() == 1);
  CHECK(finished[0].job == job_id + 1);
  const auto ends = all_of<wire::end_job>(what);
  REQUIRE(ends.size() == 3);
  CHECK(ends[0].job == job_id);
  CHECK(ends[0].immediately);
  CHECK(ends[0].signal == SIGTERM);
  CHECK(f.jobs.snapshot().waiting_spawns == 0);

  // Room frees: nothing waits any more.
  f.exited(0, top);
  const auto after = f.actions.take();
  CHECK(all_of<wire::launch_order>(after).empty());
  CHECK(all_of<wire::job_finished>(after).size() == 1);
  CHECK(f.jobs.status().jobs == 0);
}

TEST_CASE("scheduler: the bridge's credit goes back to the nodes the output came from") {
  fixture f;
  const auto top = f.top_filling_node_0();
  const auto child = f.child_started_on(1, top, 1, {1_GiB, 1});
  f.jobs.job_event(0, report::output_event{top, 1, "abc"});
  f.jobs.job_event(0, report::output_event{top, 1, "de"});
  f.jobs.job_event(1, report::output_event{child, 2, "fghij"});
  f.actions.take();

  f.jobs.output_credit({job_id, 6});
  auto credits = f.actions.take();
  REQUIRE(credits.size() == 2);
  CHECK(credits[0].node == 0);
  CHECK(credits[0].as<wire::output_credit>()->bytes == 5);
  CHECK(credits[1].node == 1);
  CHECK(credits[1].as<wire::output_credit>()->bytes == 1);

  // The bridge goes: what it still held is credited, and the job ends as on a hangup.
  f.jobs.bridge_lost(the_bridge);
  const auto what = f.actions.take();
  REQUIRE(what.size() >= 1);
  REQUIRE(what[0].as<wire::output_credit>());
  CHECK(what[0].node == 1);
  CHECK(what[0].as<wire::output_credit>()->bytes == 4);
  const auto ends = all_of<wire::end_job>(what);
  REQUIRE(ends.size() == 2);
  CHECK(ends[0].signal == SIGHUP);

  // Output from now on has no bridge to wait for: credited at once.
  f.jobs.job_event(1, report::output_event{child, 1, "xyz"});
  credits = f.actions.take();
  REQUIRE(credits.size() == 1);
  CHECK(credits[0].node == 1);
  CHECK(credits[0].as<wire::output_credit>()->bytes == 3);
}

TEST_CASE("scheduler: stdin sent before the top process runs waits for it, in order") {
  fixture f;
  const auto order = f.top_placed_on_node_0();
  f.jobs.stdin_data({job_id, "hello"});
  f.jobs.stdin_eof({job_id});
  CHECK(f.actions.take().empty());
  f.jobs.launch_result(0, {order.request_id, order.spec.self, false, {}});
  const auto what = f.actions.take();
  REQUIRE(what.size() == 2);
  CHECK(what[0].node == 0);
  REQUIRE(what[0].as<wire::stdin_data>());
  CHECK(what[0].as<wire::stdin_data>()->bytes == "hello");
  CHECK(what[1].as<wire::stdin_eof>());
}

TEST_CASE("scheduler: a node that lost the binary gets it again once, then the launch fails") {
  fixture f;
  f.jobs.node_up(0);
  f.start_job({1_GiB, 1});
  const auto first = f.launched_on(0, f.actions.take());
  f.jobs.launch_result(0, {first.request_id, {}, true, "no binary"});
  CHECK(f.actions.forgotten == std::vector<std::pair<std::size_t, std::string>>{{0, binary}});
  const auto again = f.launched_on(0, f.actions.take());
  CHECK(again.request_id != first.request_id);
  CHECK(again.spec.self == first.spec.self);

  f.jobs.launch_result(0, {again.request_id, {}, true, "still no binary"});
  CHECK(f.actions.forgotten.size() == 1);
  const auto finished = all_of<wire::job_finished>(f.actions.take());
  REQUIRE(finished.size() == 1);
  CHECK(finished[0].problem == "the program cannot start: still no binary");
  CHECK(f.jobs.status().nodes[0].mem_used == 0);
}

TEST_CASE("scheduler: kill ends the one running job an id prefix names") {
  fixture f;
  f.jobs.node_up(0);
  f.start_top(0, {1_GiB, 1});
  f.actions.take();
  CHECK(f.jobs.kill("").problem ==
        "no running job was named; constellation-deploy jobs lists them");
  CHECK(f.jobs.kill("ff").job == 0);
  const auto reply = f.jobs.kill("0000000000001");
  CHECK(reply.job == job_id);
  CHECK(reply.problem.empty());
  const auto ends = all_of<wire::end_job>(f.actions.take());
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].signal == SIGINT);
}
