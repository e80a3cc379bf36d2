#include "metrics/daemon_counters.hpp"
#include "metrics/metrics_exposition.hpp"
#include "status/status_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

using namespace constellation::fabric;

namespace {

// A master of two nodes running one job of three processes (a top and two children, one on each
// node), with one ended job that reported a counter.
cluster_snapshot example() {
  cluster_snapshot s;
  s.now_ms = 1'000'000;
  s.nodes = {{"127.0.0.11:7001", true, 2ull << 30, 300ull << 20, 2, 0.75},
             {"127.0.0.12:7001", false, 1ull << 30, 0, 1, 0}};
  cluster_snapshot::job job;
  job.id = "00000000000000a1";
  job.argv = {"./word_count", "input.txt"};
  job.client = "127.0.0.1";
  job.state = "running";
  job.started_ms = 990'000;
  job.process_count = 3;
  job.processes = {{"top", "", 0, true, "", 100ull << 20, 0.25},
                   {"child-1", "top", 0, true, "", 100ull << 20, 0.25},
                   {"child-2", "top", 1, false, "exit 0", 100ull << 20, 0.25}};
  job.counters = {{"dataflow_tasks", 12}, {"records", 4096}};
  s.jobs.push_back(job);
  cluster_snapshot::job ended;
  ended.id = "00000000000000a0";
  ended.argv = {"./sort"};
  ended.state = "finished";
  ended.outcome = "exit 0";
  ended.started_ms = 900'000;
  ended.ended_ms = 950'000;
  ended.process_count = 5;
  ended.counters = {{"dataflow_tasks", 40}};
  s.ended_jobs.push_back(ended);
  s.waiting_spawns = 2;
  return s;
}

node_figures this_node() {
  return {"127.0.0.11:7001", "127.0.0.11:7001", true, 2};
}

// The value of the series whose line starts with "name{labels} " (or "name "), or -1.
double series(const std::string& text, const std::string& name_and_labels) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.starts_with(name_and_labels + " "))
      return std::stod(line.substr(name_and_labels.size() + 1));
  return -1;
}

}  // namespace

TEST_CASE("metrics: the master's exposition has the cluster's state, by node and job") {
  metrics::daemon_counters counters;
  const auto snapshot = example();
  const auto text = metrics::metrics_exposition(
      counters, this_node(), {{"node", 3, 3000, 2}, {"master", 1, 1000, 0}}, &snapshot);
  CHECK(series(text, "constellation_nodes{state=\"up\"}") == 1);
  CHECK(series(text, "constellation_nodes{state=\"down\"}") == 1);
  CHECK(series(text, "constellation_node_up{node=\"127.0.0.12:7001\"}") == 0);
  CHECK(series(text, "constellation_node_memory_bytes{node=\"127.0.0.11:7001\"}") ==
        double(2ull << 30));
  CHECK(series(text, "constellation_node_memory_reserved_bytes{node=\"127.0.0.11:7001\"}") ==
        double(300ull << 20));
  CHECK(series(text, "constellation_node_cpus_reserved{node=\"127.0.0.11:7001\"}") == 0.75);
  CHECK(series(text, "constellation_jobs_running") == 1);
  CHECK(series(text, "constellation_spawns_waiting") == 2);
  // Only running processes count, on the node they run on.
  CHECK(series(text,
               "constellation_job_processes{job=\"00000000000000a1\",node=\"127.0.0.11:7001\"}") ==
        2);
  CHECK(series(text,
               "constellation_job_processes{job=\"00000000000000a1\",node=\"127.0.0.12:7001\"}") ==
        -1);
  // Counters of running and recently ended jobs.
  CHECK(series(text, "constellation_job_dataflow_tasks_total{job=\"00000000000000a1\"}") == 12);
  CHECK(series(text, "constellation_job_dataflow_tasks_total{job=\"00000000000000a0\"}") == 40);
  CHECK(series(text, "constellation_job_records_total{job=\"00000000000000a1\"}") == 4096);
  CHECK(text.find("# TYPE constellation_job_dataflow_tasks_total counter") != std::string::npos);
  CHECK(series(text, "constellation_binaries_cached{cache=\"node\"}") == 3);
  CHECK(series(text, "constellation_binary_cache_bytes{cache=\"master\"}") == 1000);
  CHECK(series(text, "constellation_binaries_evicted_total{cache=\"node\"}") == 2);
  CHECK(series(text, "constellation_binaries_evicted_total{cache=\"master\"}") == 0);
  CHECK(text.find("# TYPE constellation_binaries_evicted_total counter") != std::string::npos);
  CHECK(series(text, "constellation_node_processes") == 2);
}

TEST_CASE("metrics: counted events appear with their labels, every series from the start") {
  metrics::daemon_counters counters;
  const auto before = metrics::metrics_exposition(counters, this_node(), {}, nullptr);
  CHECK(series(before, "constellation_spawns_total") == 0);
  CHECK(series(before, "constellation_spawn_refusals_total{reason=\"never_fits\"}") == 0);
  CHECK(series(before, "constellation_output_bytes_total{stream=\"stderr\"}") == 0);
  CHECK(series(before, "constellation_launch_duration_seconds_count{outcome=\"started\"}") == 0);
  // A node that is not the master has no cluster figures.
  CHECK(before.find("constellation_nodes") == std::string::npos);
  counters.spawn_requested();
  counters.spawn_requested();
  counters.spawn_waited();
  counters.spawn_refused("never_fits");
  counters.launch_answered(0.003, true);
  counters.launch_answered(0.2, true);
  counters.launch_answered(0.01, false);
  counters.output_forwarded(1, 100);
  counters.output_forwarded(2, 7);
  counters.authentication_failed();
  counters.process_launched(true);
  const auto text = metrics::metrics_exposition(counters, this_node(), {}, nullptr);
  CHECK(series(text, "constellation_spawns_total") == 2);
  CHECK(series(text, "constellation_spawn_waits_total") == 1);
  CHECK(series(text, "constellation_spawn_refusals_total{reason=\"never_fits\"}") == 1);
  CHECK(series(text, "constellation_launch_duration_seconds_count{outcome=\"started\"}") == 2);
  CHECK(series(text,
               "constellation_launch_duration_seconds_bucket{outcome=\"started\",le=\"0.005\"}") ==
        1);
  CHECK(series(text,
               "constellation_launch_duration_seconds_bucket{outcome=\"started\",le=\"+Inf\"}") ==
        2);
  CHECK(series(text, "constellation_launch_duration_seconds_count{outcome=\"failed\"}") == 1);
  CHECK(series(text, "constellation_output_bytes_total{stream=\"stdout\"}") == 100);
  CHECK(series(text, "constellation_output_bytes_total{stream=\"stderr\"}") == 7);
  CHECK(series(text, "constellation_authentication_failures_total") == 1);
  CHECK(series(text, "constellation_node_launches_total{outcome=\"started\"}") == 1);
}

TEST_CASE("metrics: a counter name that is not a valid metric name is left out") {
  metrics::daemon_counters counters;
  auto snapshot = example();
  snapshot.jobs[0].counters = {{"Bad-Name", 1}, {"x_total", 1}, {"fine", 2}};
  const auto text = metrics::metrics_exposition(counters, this_node(), {}, &snapshot);
  CHECK(text.find("Bad-Name") == std::string::npos);
  CHECK(text.find("x_total_total") == std::string::npos);
  CHECK(series(text, "constellation_job_fine_total{job=\"00000000000000a1\"}") == 2);
}

TEST_CASE("status: the page's document has nodes, jobs with their process trees, and ended jobs") {
  const auto snapshot = example();
  const auto doc = nlohmann::json::parse(status_json(this_node(), &snapshot));
  CHECK(doc["role"] == "master");
  CHECK(doc["now_ms"] == 1'000'000);
  REQUIRE(doc["nodes"].size() == 2);
  CHECK(doc["nodes"][1]["up"] == false);
  CHECK(doc["nodes"][0]["mem_used"] == 300ull << 20);
  REQUIRE(doc["jobs"].size() == 1);
  const auto& job = doc["jobs"][0];
  CHECK(job["id"] == "00000000000000a1");
  CHECK(job["argv"][1] == "input.txt");
  CHECK(job["counters"]["records"] == 4096);
  REQUIRE(job["processes"].size() == 3);
  CHECK(job["processes"][0]["parent"] == "");
  CHECK(job["processes"][2]["parent"] == "top");
  CHECK(job["processes"][2]["node"] == "127.0.0.12:7001");
  CHECK(job["processes"][2]["exit"] == "exit 0");
  CHECK(doc["ended_jobs"][0]["outcome"] == "exit 0");
  CHECK(doc["waiting_spawns"] == 2);
}

TEST_CASE("status: a node that is not the master describes itself only; bad bytes do not throw") {
  node_figures node{"127.0.0.12:7001", "127.0.0.11:7001", false, 0};
  const auto doc = nlohmann::json::parse(status_json(node, nullptr));
  CHECK(doc["role"] == "node");
  CHECK(doc["node"]["master_linked"] == false);
  CHECK_FALSE(doc.contains("jobs"));
  auto snapshot = example();
  snapshot.jobs[0].argv = {"\xff\xfe not utf-8"};
  CHECK_NOTHROW(nlohmann::json::parse(status_json(node, &snapshot)));
}
