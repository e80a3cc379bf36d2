#include "bridge_connection.hpp"
#include "jobs_format.hpp"
#include "run_problem.hpp"
#include "status_format.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace constellation;

namespace {
wire::status_reply two_nodes() {
  wire::status_reply s;
  s.nodes.push_back({"127.0.0.11:7001", true, 2 * GiB, 120 * MiB, 2, 0.5, {"0a1b2c3", "1f00c2d"}});
  s.nodes.push_back({"127.0.0.12:7001", false, 1 * GiB, 0, 1, 0, {}});
  s.jobs = 1;
  return s;
}
}  // namespace

TEST_CASE("the status table lines up its columns") {
  CHECK(deploy::format_status_table(two_nodes()) ==
        "NODE             STATE  MEMORY USED / TOTAL  CPU USED / TOTAL  PROCESSES\n"
        "127.0.0.11:7001  up     120 MiB / 2 GiB      0.5 / 2           2: 0a1b2c3 1f00c2d\n"
        "127.0.0.12:7001  down   0 B / 1 GiB          0 / 1             0\n"
        "jobs: 1\n");
  CHECK(deploy::format_status_table({}) ==
        "NODE  STATE  MEMORY USED / TOTAL  CPU USED / TOTAL  PROCESSES\n(the master knows no "
        "nodes)\njobs: 0\n");
}

TEST_CASE("the status JSON is one object with a nodes array") {
  const auto line = deploy::format_status_json(two_nodes());
  CHECK(line.ends_with("}\n"));
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(line.starts_with(
      "{\"nodes\":[{\"address\":\"127.0.0.11:7001\",\"up\":true,\"mem_used\":125829120,"
      "\"mem_total\":2147483648,\"cpu_used\":0.5,\"cpu_total\":2.0,\"processes\":[\"0a1b2c3\","
      "\"1f00c2d\"]}"));
  const auto j = nlohmann::json::parse(line);
  CHECK(j["nodes"].size() == 2);
  CHECK(j["nodes"][1]["up"] == false);
  CHECK(j["jobs"] == 1);
}

TEST_CASE("a problem in JSON is an error event") {
  CHECK(deploy::error_json_line("the top \"never\" fits") ==
        "{\"event\":\"error\",\"message\":\"the top \\\"never\\\" fits\"}\n");
  CHECK(deploy::error_json_line("bad \xff byte") ==
        "{\"event\":\"error\",\"message\":\"bad \xef\xbf\xbd byte\"}\n");
}

TEST_CASE("a run that ended with a problem exits 1, or with a failed process's code") {
  CHECK(deploy::exit_code_with_problem(0) == 1);
  CHECK(deploy::exit_code_with_problem(3) == 3);
  CHECK(deploy::exit_code_with_problem(143) == 143);
}

TEST_CASE("connection failures name the address, and for the handshake the secret file") {
  using cause = cluster::link_failure::cause;
  const auto refused = deploy::describe_connect_failure(
      "127.0.0.11:7000", {cause::cannot_connect, "Connection refused"}, "/s");
  CHECK(refused ==
        "cannot connect to the bridge at 127.0.0.11:7000 (Connection refused): is "
        "constellation-bridge running there?");

  const auto proof = deploy::describe_connect_failure(
      "127.0.0.11:7000", cluster::refused_handshake(wire::handshake_error::bad_proof),
      "/home/u/secret");
  CHECK(proof ==
        "cannot authenticate with the bridge at 127.0.0.11:7000 (handshake refused: peer does not "
        "know the shared secret): the bridge and this client must share the cluster's secret; "
        "this client used the secret in /home/u/secret (give another with --secret-file)");

  SUBCASE("a peer that closed, or reset, may be a fabric daemon or hold another secret") {
    for (const auto& failure : {cluster::link_failure{cause::closed_by_peer},
                                cluster::link_failure{cause::lost, "Connection reset by peer"}}) {
      const auto closed = deploy::describe_connect_failure("1.2.3.4:5", failure, "/s");
      CHECK(closed.starts_with("cannot authenticate with the bridge at 1.2.3.4:5 (" +
                               failure.text() + "): is 1.2.3.4:5 a bridge (not a fabric daemon)"));
      CHECK(closed.find("/s") != std::string::npos);
    }
  }
  SUBCASE("a peer that never answered is asked about, not the secret") {
    const auto silent = deploy::describe_connect_failure(
        "1.2.3.4:5", {cause::timed_out, "not done within 10 s"}, "/s");
    CHECK(silent.find("did not answer as a bridge does") != std::string::npos);
    CHECK(silent.find("/s") == std::string::npos);
  }
  SUBCASE("a refusal names its reason: purpose, version, or else the secret") {
    const auto purpose = deploy::describe_connect_failure(
        "1.2.3.4:5", cluster::refused_handshake(wire::handshake_error::wrong_purpose), "/s");
    CHECK(purpose.ends_with("is 1.2.3.4:5 a bridge's address, not a fabric daemon's?"));
    const auto version = deploy::describe_connect_failure(
        "1.2.3.4:5", cluster::refused_handshake(wire::handshake_error::wrong_version), "/s");
    CHECK(version.ends_with("the bridge runs another version of constellation than this client"));
    const auto malformed = deploy::describe_connect_failure(
        "1.2.3.4:5", cluster::refused_handshake(wire::handshake_error::malformed), "/s");
    CHECK(malformed.find("must share the cluster's secret") != std::string::npos);
  }
}

TEST_CASE("jobs: a table for people, JSON for programs; ages in two units at most") {
  CHECK(deploy::format_duration(0) == "0s");
  CHECK(deploy::format_duration(59'999) == "59s");
  CHECK(deploy::format_duration(124'000) == "2m 4s");
  CHECK(deploy::format_duration(3'720'000) == "1h 2m");
  CHECK(deploy::format_duration(3'600'000) == "1h");
  CHECK(deploy::format_duration(98'000'000) == "1d 3h");
  wire::jobs_reply jobs;
  jobs.now_ms = 1'000'000;
  jobs.jobs.push_back({0x3f2a9c01d4e5b677,
                       {"./word_count", "/data"},
                       "127.0.0.1:40648",
                       "running",
                       "",
                       3,
                       5,
                       876'000,
                       0});
  jobs.jobs.push_back(
      {0xb1c2, {"./sort"}, "127.0.0.1:40602", "finished", "exit 0", 0, 12, 900'000, 950'000});
  CHECK(deploy::format_jobs_table(jobs) ==
        "JOB               STATE     PROCESSES  AGE     CLIENT           PROGRAM\n"
        "3f2a9c01d4e5b677  running   3 of 5     2m 4s   127.0.0.1:40648  ./word_count /data\n"
        "000000000000b1c2  finished  0 of 12    1m 40s  127.0.0.1:40602  ./sort  (exit 0)\n");
  CHECK(deploy::format_jobs_table({}) == "(no jobs)\n");
  CHECK(deploy::format_jobs_json(jobs).find(
            R"({"job":"000000000000b1c2","state":"finished","running":0,"processes":12,)"
            R"("age_seconds":100.0,"run_seconds":50.0,)") != std::string::npos);
  CHECK(deploy::format_kill_json({0x3f2a9c01d4e5b677, ""}) ==
        "{\"ending\":\"3f2a9c01d4e5b677\"}\n");
}
