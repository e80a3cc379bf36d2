#include "bridge_options.hpp"
#include "deploy_options.hpp"

#include <doctest/doctest.h>

using namespace constellation;
using deploy::deploy_options;

TEST_CASE("bridge options: flags in any order, two addresses") {
  auto o =
      bridge::parse_bridge_options({"--secret-file", "s", "-v", "--format=json", "127.0.0.11:7000",
                                    "--cache-dir", "/c", "127.0.0.11:7001"});
  REQUIRE(o.has_value());
  CHECK(o->secret_file == "s");
  CHECK(o->log_level == cluster::log_level::debug);
  CHECK(o->json_log);
  CHECK(o->cache_dir == "/c");
  CHECK(o->listen == "127.0.0.11:7000");
  CHECK(o->master == "127.0.0.11:7001");
  CHECK(bridge::parse_bridge_options({"--help"})->help);
  auto quiet = bridge::parse_bridge_options({"-q", "--log-format", "json", "a:1", "b:2"});
  REQUIRE(quiet.has_value());
  CHECK(quiet->log_level == cluster::log_level::warn);
  CHECK(quiet->json_log);
}

TEST_CASE("bridge options: the cache's bounds, 2 GiB and 7 days unless given") {
  auto defaults = bridge::parse_bridge_options({"a:1", "b:2"});
  REQUIRE(defaults.has_value());
  CHECK(defaults->cache_bounds.max_bytes == 2ull << 30);
  CHECK(defaults->cache_bounds.max_age == std::chrono::days(7));
  auto given = bridge::parse_bridge_options(
      {"--cache-max-bytes", "512M", "--cache-max-age=12h", "a:1", "b:2"});
  REQUIRE(given.has_value());
  CHECK(given->cache_bounds.max_bytes == 512ull << 20);
  CHECK(given->cache_bounds.max_age == std::chrono::hours(12));
  auto unlimited = bridge::parse_bridge_options(
      {"--cache-max-bytes=unlimited", "--cache-max-age", "unlimited", "a:1", "b:2"});
  REQUIRE(unlimited.has_value());
  CHECK_FALSE(unlimited->cache_bounds.max_bytes.has_value());
  CHECK_FALSE(unlimited->cache_bounds.max_age.has_value());
  const auto refused = bridge::parse_bridge_options({"--cache-max-bytes", "lots", "a:1", "b:2"});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().starts_with("--cache-max-bytes \"lots\": expected a size"));
  CHECK(bridge::parse_bridge_options({"--cache-max-age", "7", "a:1", "b:2"})
            .error()
            .find("7d, 12h") != std::string::npos);
}

TEST_CASE("bridge options: mistakes are named") {
  CHECK(bridge::parse_bridge_options({"a:1"}).error().find("MASTER_ADDR") != std::string::npos);
  CHECK(bridge::parse_bridge_options({"a:1", "b:2", "c:3"}).error().find("\"c:3\"") !=
        std::string::npos);
  CHECK(bridge::parse_bridge_options({"--format", "xml", "a:1", "b:2"}).error().find("xml") !=
        std::string::npos);
  CHECK(bridge::parse_bridge_options({"--secret-file"}).error().find("--secret-file needs") !=
        std::string::npos);
  CHECK(bridge::parse_bridge_options({"--frobnicate", "a:1", "b:2"}).error().find("--frobnicate") !=
        std::string::npos);
}

TEST_CASE("deploy options: the program's arguments are all after BINARY") {
  auto o = deploy::parse_deploy_options(
      {"--format", "json", "127.0.0.11:7000", "./prog", "--format", "x", "-v"}, nullptr);
  REQUIRE(o.has_value());
  CHECK(o->what == deploy_options::command::deploy);
  CHECK(o->format == report::output_format::json);
  CHECK(o->bridge == "127.0.0.11:7000");
  CHECK(o->binary == "./prog");
  CHECK(o->args == std::vector<std::string>{"--format", "x", "-v"});

  auto dashed =
      deploy::parse_deploy_options({"--secret-file=s", "a:1", "prog", "--", "--", "x"}, nullptr);
  REQUIRE(dashed.has_value());
  CHECK(dashed->secret_file == "s");
  CHECK(dashed->args == std::vector<std::string>{"--", "x"});
  CHECK(deploy::parse_deploy_options({"a:1", "prog"}, nullptr)->args.empty());
}

TEST_CASE("deploy options: CONSTELLATION_FORMAT is the default format, --format wins") {
  CHECK(deploy::parse_deploy_options({"a:1", "p"}, "json")->format == report::output_format::json);
  CHECK(deploy::parse_deploy_options({"--format", "human", "a:1", "p"}, "json")->format ==
        report::output_format::human);
  CHECK(deploy::parse_deploy_options({"a:1", "p"}, "")->format == report::output_format::human);
  CHECK(deploy::parse_deploy_options({"a:1", "p"}, "yaml").error().find("CONSTELLATION_FORMAT") !=
        std::string::npos);
}

TEST_CASE("deploy options: status takes one address, options anywhere") {
  auto o = deploy::parse_deploy_options({"status", "127.0.0.11:7000", "--format", "json"}, nullptr);
  REQUIRE(o.has_value());
  CHECK(o->what == deploy_options::command::status);
  CHECK(o->bridge == "127.0.0.11:7000");
  CHECK(o->format == report::output_format::json);
  CHECK(deploy::parse_deploy_options({"--format=json", "status", "a:1"}, nullptr)->what ==
        deploy_options::command::status);
  CHECK(deploy::parse_deploy_options({"status"}, nullptr).error().find("BRIDGE_ADDR") !=
        std::string::npos);
  CHECK(deploy::parse_deploy_options({"status", "a:1", "b"}, nullptr).error().find("\"b\"") !=
        std::string::npos);
}

TEST_CASE("deploy options: jobs takes an address, kill an address and a job") {
  auto jobs =
      deploy::parse_deploy_options({"jobs", "--format", "json", "127.0.0.11:7000"}, nullptr);
  REQUIRE(jobs.has_value());
  CHECK(jobs->what == deploy_options::command::jobs);
  CHECK(jobs->bridge == "127.0.0.11:7000");
  auto kill = deploy::parse_deploy_options({"kill", "127.0.0.11:7000", "3f2a9c"}, nullptr);
  REQUIRE(kill.has_value());
  CHECK(kill->what == deploy_options::command::kill);
  CHECK(kill->job == "3f2a9c");
  CHECK(deploy::parse_deploy_options({"kill", "a:1"}, nullptr)
            .error()
            .find("kill needs the job's id") != std::string::npos);
  CHECK(deploy::parse_deploy_options({"jobs", "a:1", "x"}, nullptr).error().find("\"x\"") !=
        std::string::npos);
}

TEST_CASE("deploy options: mistakes are named") {
  CHECK(deploy::parse_deploy_options({}, nullptr).error().find("BRIDGE_ADDR and BINARY") !=
        std::string::npos);
  CHECK(deploy::parse_deploy_options({"a:1"}, nullptr).error().find("BINARY is required") !=
        std::string::npos);
  CHECK(
      deploy::parse_deploy_options({"--format", "xml", "a:1", "p"}, nullptr).error().find("xml") !=
      std::string::npos);
  CHECK(deploy::parse_deploy_options({"-x", "a:1", "p"}, nullptr).error().find("-x") !=
        std::string::npos);
  CHECK(deploy::parse_deploy_options({"--format"}, nullptr).error().find("needs a value") !=
        std::string::npos);
  CHECK(deploy::parse_deploy_options({"-h"}, nullptr)->help);
}
