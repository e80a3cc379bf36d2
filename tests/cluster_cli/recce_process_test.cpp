#include "recce_process.hpp"

#include "temporary_directory.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>

using namespace constellation;
using namespace constellation::bridge;
using cluster_cli_test::temporary_directory;

namespace {

// Runs binary's recce to its end on a loop of its own.
std::expected<resources, std::string> recce_of(const std::string& binary,
                                               std::vector<std::string> env = {},
                                               std::chrono::milliseconds limit = recce_time_limit) {
  boost::asio::io_context io;
  std::optional<std::expected<resources, std::string>> outcome;
  auto recce = start_recce(
      io, binary, {binary}, std::move(env),
      [&](std::expected<resources, std::string> o) { outcome = std::move(o); }, limit);
  io.run();
  REQUIRE(outcome.has_value());
  return *outcome;
}

std::string script(const temporary_directory& dir, const std::string& name,
                   const std::string& body) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0700);
  return path;
}

}  // namespace

TEST_CASE("the recce of a constellation program gives the resources its init() asks for") {
  const auto r = recce_of(CLUSTER_CLI_PROGRAM);
  REQUIRE(r.has_value());
  CHECK(*r == resources{.mem = 64 * MiB, .cpu = 0.5});
}

TEST_CASE("the recce runs with CONSTELLATION_RECCE=1 and the user's environment") {
  temporary_directory tmp;
  const auto s = script(tmp, "env",
                        "test \"$CONSTELLATION_RECCE\" = 1 && test \"$MINE\" = yes && echo "
                        "'{\"mem\":4096,\"cpu\":1}'\n");
  CHECK(recce_of(s, {"MINE=yes", "CONSTELLATION_RECCE=0", "PATH=/usr/bin:/bin"}) ==
        resources{.mem = 4096, .cpu = 1});
}

TEST_CASE("the recce of a program that prints something else, or fails, says so") {
  temporary_directory tmp;
  CHECK(recce_of(script(tmp, "hello", "echo hello\n")).error().find("it printed \"hello\"") !=
        std::string::npos);
  CHECK(recce_of(script(tmp, "fail", "echo oops >&2; exit 4\n"))
            .error()
            .find("exited with status 4 after writing \"oops\"") != std::string::npos);
  CHECK(
      recce_of(tmp.path() + "/missing").error().find("cannot execute the program on the bridge") !=
      std::string::npos);
}

TEST_CASE("a recce that takes too long is killed with what it started") {
  temporary_directory tmp;
  // The background sleep keeps stdout open: the recce must not wait for it either.
  const auto s = script(tmp, "slow", "sleep 30 & sleep 30\n");
  const auto start = std::chrono::steady_clock::now();
  const auto r = recce_of(s, {"PATH=/usr/bin:/bin"}, std::chrono::milliseconds(300));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(r.error().find("still running after 300 ms") != std::string::npos);
}

TEST_CASE("a recce that exits but leaves a child holding stdout ends at once") {
  temporary_directory tmp;
  const auto s = script(tmp, "daemonish", "echo '{\"mem\":4096,\"cpu\":1}'; sleep 30 &\n");
  const auto start = std::chrono::steady_clock::now();
  CHECK(recce_of(s, {"PATH=/usr/bin:/bin"}).has_value());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("a recce that floods stdout is stopped") {
  temporary_directory tmp;
  const auto s = script(tmp, "flood", "yes\n");
  CHECK(recce_of(s, {"PATH=/usr/bin:/bin"}).error().find("kept printing") != std::string::npos);
}

TEST_CASE("a cancelled recce calls nobody") {
  temporary_directory tmp;
  const auto s = script(tmp, "slow", "sleep 30\n");
  boost::asio::io_context io;
  bool called = false;
  auto recce = start_recce(io, s, {s}, {"PATH=/usr/bin:/bin"}, [&](auto) { called = true; });
  recce->cancel();
  const auto start = std::chrono::steady_clock::now();
  io.run();  // returns once the killed program is reaped
  CHECK_FALSE(called);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE(
    "recce_environment replaces the user's CONSTELLATION_RECCE and drops a monitor's variable") {
  CHECK(recce_environment({"A=1", "CONSTELLATION_RECCE=0", "CONSTELLATION_MONITOR=3", "B=2"}) ==
        std::vector<std::string>{"A=1", "B=2", "CONSTELLATION_RECCE=1"});
}
