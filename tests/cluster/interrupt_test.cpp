// Ctrl-C on constellation-deploy ends the job on every node (deploy_job.hpp: the first gently,
// with the signal deploy got, as a shell would; the second at once), a deploy that vanishes has
// its job ended by the bridge, and `constellation-deploy kill JOB` from another terminal ends it
// as Ctrl-C does: either way no process of the job is left anywhere, and the cluster is empty
// again. `constellation-deploy jobs` lists the job while it runs and after.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/process_scan.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

using namespace cluster_test;

namespace {

// Starts mode (spread or stubborn: a process held on every node) and waits until all run.
child_process start_held_job(const local_cluster& cluster, const std::string& mode) {
  auto deploy = cluster.deploy({mode});
  REQUIRE_MESSAGE(deploy.wait_for_output(spread_job_holding, patience(milliseconds(20000))),
                  deploy.out() << deploy.err());
  const auto status = cluster.status();
  REQUIRE(status);
  for (const auto& node : status->nodes) REQUIRE(!node.processes.empty());
  // Each process and its monitor run the binary cached on their node.
  REQUIRE(cluster.deployed_processes().size() >= 8);
  return deploy;
}

std::string describe_all(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) out += "  " + describe_process(p) + "\n";
  return out;
}

void check_nothing_left(const local_cluster& cluster, milliseconds limit) {
  CHECK_MESSAGE(eventually([&] { return cluster.deployed_processes().empty(); }, limit),
                "still running:\n"
                    << describe_all(cluster.deployed_processes()));
  CHECK(cluster.wait_for_status(
      [](const cluster_status& s) {
        for (const auto& n : s.nodes)
          if (n.mem_used != 0 || !n.processes.empty()) return false;
        return s.jobs == 0;
      },
      milliseconds(5000)));
}

// Every process the job started was reported ended: the top process by the signal given, each
// other one by it too or, if it saw its parent go first, by its own exit (code 4).
void check_all_ended_by(const std::string& deploy_out, const std::string& signal) {
  const job_events events(deploy_out);
  REQUIRE(events.processes().size() == 4);
  for (const auto& pid : events.processes()) {
    CAPTURE(pid);
    const auto exit = events.exit_of(pid);
    REQUIRE(exit);
    if (pid == events.top() || exit->signal != "")
      CHECK(exit->signal == signal);
    else
      CHECK(exit->status == 4);
  }
}

}  // namespace

TEST_CASE("Ctrl-C on deploy leaves no process on any node") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  using clock = std::chrono::steady_clock;

  SUBCASE("one Ctrl-C ends the job gently") {
    auto deploy = start_held_job(cluster, "spread");
    deploy.signal(SIGINT);
    const auto code = deploy.wait_exit(milliseconds(10000));
    INFO("deploy printed:\n" << deploy.out() << deploy.err());
    REQUIRE(code);
    CHECK(*code == 128 + SIGINT);
    check_all_ended_by(deploy.out(), "SIGINT");
    check_nothing_left(cluster, milliseconds(3000));
  }

  SUBCASE("processes that ignore the gentle signals are killed after the grace period") {
    auto deploy = start_held_job(cluster, "stubborn");
    deploy.signal(SIGINT);
    const auto code = deploy.wait_exit(patience(milliseconds(15000)));
    INFO("deploy printed:\n" << deploy.out() << deploy.err());
    REQUIRE(code);
    CHECK(*code == 128 + SIGKILL);
    check_all_ended_by(deploy.out(), "SIGKILL");
    check_nothing_left(cluster, milliseconds(3000));
  }

  SUBCASE("a second Ctrl-C ends the job at once") {
    auto deploy = start_held_job(cluster, "stubborn");
    const auto interrupted = clock::now();
    deploy.signal(SIGINT);
    std::this_thread::sleep_for(milliseconds(300));
    deploy.signal(SIGINT);
    const auto code = deploy.wait_exit(patience(milliseconds(15000)));
    const auto took = std::chrono::duration_cast<milliseconds>(clock::now() - interrupted);
    INFO("deploy printed:\n" << deploy.out() << deploy.err());
    REQUIRE(code);
    CHECK(*code == 128 + SIGKILL);
    // Sooner than the 3 s the monitors give a process that ignores the gentle signals.
    CHECK(took < milliseconds(2500));
    check_all_ended_by(deploy.out(), "SIGKILL");
    check_nothing_left(cluster, milliseconds(3000));
  }

  SUBCASE("a deploy killed outright has its job ended by the bridge") {
    auto deploy = start_held_job(cluster, "spread");
    deploy.signal(SIGKILL);
    deploy.wait_exit(milliseconds(5000));
    check_nothing_left(cluster, milliseconds(10000));
  }
}

namespace {

deploy_options human() {
  deploy_options options;
  options.format = "human";
  return options;
}

nlohmann::json jobs_of(const local_cluster& cluster) {
  const auto run = cluster.query_run({"jobs"});
  INFO("jobs printed:\n" << run.out << run.err);
  REQUIRE(run.exit_code == 0);
  auto parsed = nlohmann::json::parse(run.out, nullptr, false);
  REQUIRE(!parsed.is_discarded());
  return parsed.at("jobs");
}

}  // namespace

TEST_CASE("constellation-deploy jobs lists a job, and kill ends it as Ctrl-C does") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = start_held_job(cluster, "spread");

  auto jobs = jobs_of(cluster);
  REQUIRE(jobs.size() == 1);
  const auto job = jobs[0];
  const std::string id = job.at("job");
  CHECK(id.size() == 16);
  CHECK(job.at("state") == "running");
  CHECK(job.at("running") == 4);
  CHECK(job.at("processes") == 4);
  CHECK(job.at("argv").at(0).get<std::string>().ends_with("cluster_programs"));
  CHECK(job.at("argv").at(1) == "spread");
  CHECK(
      job.at("client").get<std::string>().starts_with("127.0.0."));  // where deploy connected from
  CHECK(job.at("age_seconds").get<double>() >= 0);
  const auto table = cluster.query_run({"jobs"}, human());
  CHECK(table.out.starts_with("JOB"));
  CHECK(table.out.find(id + "  running  4 of 4") != std::string::npos);

  // A prefix that names one running job is enough, as with git's commits.
  const auto killed = cluster.query_run({"kill", id.substr(0, 6)});
  INFO("kill printed:\n" << killed.out << killed.err);
  REQUIRE(killed.exit_code == 0);
  CHECK(nlohmann::json::parse(killed.out).at("ending") == id);

  const auto code = deploy.wait_exit(milliseconds(10000));
  INFO("deploy printed:\n" << deploy.out() << deploy.err());
  REQUIRE(code);
  CHECK(*code == 128 + SIGINT);
  check_all_ended_by(deploy.out(), "SIGINT");
  check_nothing_left(cluster, milliseconds(3000));

  jobs = jobs_of(cluster);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].at("job") == id);
  CHECK(jobs[0].at("state") == "finished");
  CHECK(jobs[0].at("outcome") == "SIGINT");
  CHECK(jobs[0].at("running") == 0);
  CHECK(jobs[0].at("run_seconds").get<double>() >= 0);

  const auto again = cluster.query_run({"kill", id}, human());
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("ended already") != std::string::npos);
  const auto unknown = cluster.query_run({"kill", "ffffffffffffffff"}, human());
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no running job has the id ffffffffffffffff") != std::string::npos);
}
