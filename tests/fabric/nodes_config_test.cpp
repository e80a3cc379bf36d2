#include "config/nodes_config.hpp"
#include "posix/unique_fd.hpp"

#include <doctest/doctest.h>

#include <constellation/resources.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <initializer_list>
#include <string>
#include <string_view>
#include <thread>

using namespace constellation;
using namespace constellation::fabric;

namespace {

// The error parse_nodes_toml gives for text, checked to start with "nodes.toml:<position>: " and to
// name each of the words (the key at fault, what was found, the fix). A position "line:" checks
// the line only, for toml++'s own syntax errors, whose columns are toml++'s business.
void check_error(std::string_view text, std::string_view position,
                 std::initializer_list<std::string_view> words) {
  const auto config = parse_nodes_toml(text, "nodes.toml");
  REQUIRE_FALSE(config.has_value());
  const std::string& message = config.error();
  CAPTURE(message);
  const std::string prefix = "nodes.toml:" + std::string(position);
  if (position.ends_with(':')) {
    CHECK(message.starts_with(prefix));
    CHECK(message.find(": not valid TOML: ") != std::string::npos);
  } else {
    CHECK(message.starts_with(prefix + ": "));
  }
  for (const std::string_view word : words) {
    CAPTURE(word);
    CHECK(message.find(word) != std::string::npos);
  }
}

std::string endpoint_error(std::string_view text) {
  const auto e = cluster::parse_endpoint(text);
  REQUIRE_FALSE(e.has_value());
  return e.error();
}

}  // namespace

TEST_CASE("parse_endpoint: IPv4 and localhost") {
  const auto e = cluster::parse_endpoint("10.0.0.1:9999");
  REQUIRE(e.has_value());
  CHECK(e->ipv4 == 0x0a000001u);
  CHECK(e->port == 9999);
  CHECK(e->text == "10.0.0.1:9999");

  const auto local = cluster::parse_endpoint("localhost:80");
  REQUIRE(local.has_value());
  CHECK(local->ipv4 == 0x7f000001u);
  CHECK(local->text == "127.0.0.1:80");  // canonical, so equal endpoints have equal text
  CHECK(*local == *cluster::parse_endpoint("127.0.0.1:80"));

  CHECK(cluster::parse_endpoint("255.255.255.255:65535")->ipv4 == 0xffffffffu);
  CHECK(cluster::parse_endpoint("0.0.0.0:1")->port == 1);

  CHECK(cluster::is_loopback(*local));
  CHECK(cluster::is_loopback(*cluster::parse_endpoint("127.0.0.13:7001")));
  CHECK(cluster::is_loopback(*cluster::parse_endpoint("127.255.255.255:1")));
  CHECK_FALSE(cluster::is_loopback(*e));
  CHECK_FALSE(cluster::is_loopback(*cluster::parse_endpoint("128.0.0.1:1")));
  CHECK_FALSE(cluster::is_loopback(*cluster::parse_endpoint("126.255.255.255:1")));
}

TEST_CASE("parse_endpoint: errors say what is wrong") {
  CHECK(endpoint_error("10.0.0.1").find("port is missing") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1:").find("port after the colon is missing") != std::string::npos);
  CHECK(endpoint_error(":80").find("address before the colon is missing") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1:0").find("port 0") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1:65536").find("port 65536 is out of range") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1:99999999999").find("out of range") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1:http").find("\"http\" is not a number") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1:-1").find("is not a number") != std::string::npos);
  CHECK(endpoint_error("10.0.0.1: 80").find("is not a number") != std::string::npos);
  CHECK(endpoint_error("db1.example.com:80").find("host names are not resolved") !=
        std::string::npos);
  CHECK(endpoint_error("[::1]:80").find("IPv6") != std::string::npos);
  CHECK(endpoint_error("::1:80").find("IPv6") != std::string::npos);
  for (const char* bad : {"256.0.0.1:80", "10.0.0:80", "10.0.0.1.5:80", "10..0.1:80", "10.0.0.:80",
                          ".10.0.0.1:80", "1234.0.0.1:80"}) {
    CAPTURE(bad);
    CHECK(endpoint_error(bad).find("is not an IPv4 address") != std::string::npos);
  }
  CHECK(endpoint_error("010.0.0.1:80").find("leading zero") != std::string::npos);
  // Every message shows what was expected and what was found.
  const std::string message = endpoint_error("10.0.0.1");
  CHECK(message.find("\"10.0.0.1:9999\"") != std::string::npos);
  CHECK(message.find("found \"10.0.0.1\"") != std::string::npos);
}

// Found by fuzz/nodes_toml: toml++ 3.3.0 reaches __builtin_unreachable() on "é" where it expects
// whitespace.
TEST_CASE("nodes.toml: a non-ASCII character is refused with its position") {
  const auto config = parse_nodes_toml(
      "[[nodes]]\nfabric_addr = \"10.0.0.1:9999\"\n  \xc3\xa9 mem = 1\n", "nodes.toml");
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().starts_with("nodes.toml:3:3: a non-ASCII character"));
}

TEST_CASE("nodes.toml: a valid description") {
  const auto config = parse_nodes_toml(R"(# the master first
[[nodes]]
fabric_addr = "10.0.0.1:9999"
bridge_bind = "10.0.0.1:8888"
mem = "100 GiB"
cpu = 16

[[nodes]]
fabric_addr = "localhost:9998"
mem = 536870912
cpu = 0.0625

[[nodes]]
cpu = 1.5
mem = "1.5 GiB"
fabric_addr = "10.0.0.3:9999"
)",
                                       "nodes.toml");
  REQUIRE_MESSAGE(config.has_value(), config.error());
  CHECK(config->path == "nodes.toml");
  REQUIRE(config->nodes.size() == 3);
  const node_config& master = config->nodes[0];
  CHECK(master.fabric.text == "10.0.0.1:9999");
  REQUIRE(master.bridge.has_value());
  CHECK(master.bridge->text == "10.0.0.1:8888");
  CHECK(master.mem == 100 * GiB);
  CHECK(master.cpu == 16);
  CHECK(config->nodes[1].fabric.text == "127.0.0.1:9998");
  CHECK_FALSE(config->nodes[1].bridge.has_value());
  CHECK(config->nodes[1].mem == 512 * MiB);
  CHECK(config->nodes[1].cpu == 0.0625);
  CHECK(config->nodes[2].mem == 3 * GiB / 2);
  CHECK(config->nodes[2].cpu == 1.5);
}

TEST_CASE("nodes.toml: inline tables are entries too") {
  const auto config = parse_nodes_toml(
      R"(nodes = [{fabric_addr = "10.0.0.1:1", mem = "1 GiB", cpu = 1}])", "nodes.toml");
  REQUIRE_MESSAGE(config.has_value(), config.error());
  CHECK(config->nodes.size() == 1);
}

TEST_CASE("nodes.example.toml parses and describes three loopback nodes") {
  const auto config = load_nodes_toml(NODES_EXAMPLE);
  REQUIRE_MESSAGE(config.has_value(), config.error());
  REQUIRE(config->nodes.size() == 3);
  const auto& nodes = config->nodes;
  CHECK(nodes[0].fabric.text == "127.0.0.11:7001");
  CHECK(nodes[1].fabric.text == "127.0.0.12:7001");
  CHECK(nodes[2].fabric.text == "127.0.0.13:7001");
  REQUIRE(nodes[0].bridge.has_value());
  CHECK(nodes[0].bridge->text == "127.0.0.11:7000");
  CHECK_FALSE(nodes[1].bridge.has_value());
  CHECK_FALSE(nodes[2].bridge.has_value());
  CHECK(nodes[0].mem == 2 * GiB);
  CHECK(nodes[1].mem == 1 * GiB);
  CHECK(nodes[2].mem == 512 * MiB);
  CHECK(nodes[0].cpu == 2);
  CHECK(nodes[1].cpu == 1);
  CHECK(nodes[2].cpu == 0.5);
  for (const auto& node : nodes) CHECK(cluster::is_loopback(node.fabric));
}

TEST_CASE("nodes.toml: a file that cannot be read is named") {
  const std::string missing = "/nonexistent-constellation-dir/nodes.toml";
  const auto config = load_nodes_toml(missing);
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().starts_with(missing + ": "));
  CHECK(config.error().find("No such file") != std::string::npos);

  const auto directory = load_nodes_toml("/");
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().starts_with("/: "));
}

TEST_CASE("nodes.toml: syntax errors carry toml++'s position") {
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\nmem = 1\n", "2:", {"not valid TOML"});
  check_error("[[nodes]]\nmem = 1\nmem = 2\n", "3:", {"not valid TOML", "mem"});
  check_error("[[nodes]\n", "1:", {"not valid TOML"});
}

TEST_CASE("nodes.toml: no [[nodes]] at all") {
  check_error("", "1:1", {"[[nodes]]", "fabric_addr", "nodes.example.toml"});
  check_error("# only a comment\n\n", "1:1", {"[[nodes]]"});
  check_error("[nodes]\nfabric_addr = \"10.0.0.1:1\"\n", "1:1",
              {"nodes", "found a table", "[[nodes]]"});
  check_error("nodes = []\n", "1:9", {"nodes", "at least one", "empty array"});
  check_error("nodes = 3\n", "1:9", {"nodes", "found 3 (an integer)"});
  check_error("nodes = [1]\n", "1:10", {"nodes", "table", "found 1 (an integer)"});
}

TEST_CASE("nodes.toml: unknown keys are errors naming the allowed ones") {
  check_error(
      R"([[nodes]]
fabric_addr = "10.0.0.1:1"
memory = "1 GiB"
cpu = 1
)",
      "3:1", {"memory: unknown key", "did you mean mem?", "fabric_addr, bridge_bind, mem and cpu"});
  check_error(R"([[nodes]]
fabric_addr = "10.0.0.1:1"
mem = "1 GiB"
  cpus = 1
)",
              "4:3", {"cpus: unknown key", "did you mean cpu?"});
  check_error(R"([[nodes]]
fabric_addr = "10.0.0.1:1"
mem = "1 GiB"
cpu = 1
weight = 3
)",
              "5:1", {"weight: unknown key", "allows only"});
  check_error(R"([[node]]
fabric_addr = "10.0.0.1:1"
)",
              "1:3", {"node: unknown key", "did you mean [[nodes]]?"});
  check_error(R"(master = "10.0.0.1:1"
[[nodes]]
fabric_addr = "10.0.0.1:1"
mem = "1 GiB"
cpu = 1
)",
              "1:1", {"master: unknown key", "only [[nodes]]"});
}

TEST_CASE("nodes.toml: a node missing a required key") {
  const std::string good = "[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = \"1 GiB\"\ncpu = 1\n\n";
  check_error(good + "[[nodes]]\nmem = \"1 GiB\"\ncpu = 1\n", "6:1",
              {"has no fabric_addr", "fabric_addr = \""});
  check_error(good + "[[nodes]]\nfabric_addr = \"10.0.0.2:1\"\ncpu = 1\n", "6:1",
              {"has no mem", "mem = \"2 GiB\""});
  check_error(good + "[[nodes]]\nfabric_addr = \"10.0.0.2:1\"\nmem = \"1 GiB\"\n", "6:1",
              {"has no cpu", "cpu = 4"});
  check_error("[[nodes]]\n", "1:1", {"has no fabric_addr"});
}

TEST_CASE("nodes.toml: values of the wrong type") {
  check_error("[[nodes]]\nfabric_addr = 9999\nmem = 1\ncpu = 1\n", "2:15",
              {"fabric_addr: expected a string", "found 9999 (an integer)"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nbridge_bind = true\nmem = 1\ncpu = 1\n",
              "3:15", {"bridge_bind: expected a string", "found true (a boolean)"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = 2.5\ncpu = 1\n", "3:7",
              {"mem: expected a size", "found 2.5 (a floating-point number)"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = [1]\ncpu = 1\n", "3:7",
              {"mem: expected a size", "found an array"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = 1\ncpu = \"2\"\n", "4:7",
              {"cpu: expected a number", "found \"2\"", "without quotes"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = 1\ncpu = true\n", "4:7",
              {"cpu: expected a number", "found true (a boolean)"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = 1\ncpu = 1979-05-27\n", "4:7",
              {"cpu: expected a number", "found a date"});
}

TEST_CASE("nodes.toml: mem must be a size above 0") {
  // The example from the brief, exactly.
  const auto config = parse_nodes_toml(R"([[nodes]]
fabric_addr = "10.0.0.1:1"
cpu = 1


# how much
mem = "lots"
)",
                                       "nodes.toml");
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error() ==
        "nodes.toml:7:7: mem: expected a size such as \"512 MiB\", \"2 GiB\" or an integer "
        "number of bytes, found \"lots\"");

  const std::string head = "[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\ncpu = 1\n";
  check_error(head + "mem = 0\n", "4:7", {"mem:", "more than 0 bytes", "found 0 (an integer)"});
  check_error(head + "mem = \"0 GiB\"\n", "4:7", {"mem:", "more than 0 bytes", "found \"0 GiB\""});
  check_error(head + "mem = -5\n", "4:7", {"mem: expected a size", "found -5 (an integer)"});
  check_error(head + "mem = \"2 GB of RAM\"\n", "4:7", {"mem: expected a size"});
  check_error(head + "mem = \"99999999999 TiB\"\n", "4:7", {"mem: expected a size"});
}

TEST_CASE("nodes.toml: cpu must be finite and above 0") {
  const std::string head = "[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nmem = 1\n";
  check_error(head + "cpu = 0\n", "4:7", {"cpu:", "above 0", "found 0 (an integer)"});
  check_error(head + "cpu = 0.0\n", "4:7", {"cpu:", "above 0"});
  check_error(head + "cpu = -2\n", "4:7", {"cpu:", "above 0", "found -2"});
  check_error(head + "cpu = nan\n", "4:7", {"cpu:", "finite", "found nan"});
  check_error(head + "cpu = inf\n", "4:7", {"cpu:", "finite", "found inf"});
  check_error(head + "cpu = -inf\n", "4:7", {"cpu:", "finite"});
  check_error(head + "cpu = 1e-9\n", "4:7", {"cpu:", "0.000001", "found 1e-09"});
  check_error(head + "cpu = 1e7\n", "4:7", {"cpu:", "1000000"});
  const auto tiny = parse_nodes_toml(head + "cpu = 0.000001\n", "nodes.toml");
  REQUIRE_MESSAGE(tiny.has_value(), tiny.error());
}

TEST_CASE("nodes.toml: bad addresses and ports") {
  const std::string tail = "mem = 1\ncpu = 1\n";
  check_error("[[nodes]]\nfabric_addr = \"db1:9999\"\n" + tail, "2:15",
              {"fabric_addr:", "found \"db1:9999\"", "host names are not resolved", "IPv4"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1\"\n" + tail, "2:15",
              {"fabric_addr:", "port is missing"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:0\"\n" + tail, "2:15",
              {"fabric_addr:", "port 0", "1 to 65535"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:65536\"\n" + tail, "2:15",
              {"fabric_addr:", "65536", "1 to 65535"});
  check_error("[[nodes]]\nfabric_addr = \"10.0.0.1:1\"\nbridge_bind = \"10.0.0.1:70000\"\n" + tail,
              "3:15", {"bridge_bind:", "70000", "1 to 65535"});
  check_error("[[nodes]]\nfabric_addr = \"0.0.0.0:9999\"\n" + tail, "2:15",
              {"fabric_addr:", "\"0.0.0.0:9999\"", "IPv4 address"});
}

TEST_CASE("nodes.toml: an address used twice names both positions") {
  check_error(R"([[nodes]]
fabric_addr = "10.0.0.1:9999"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "10.0.0.1:9999"
mem = 1
cpu = 1
)",
              "7:15",
              {"fabric_addr: \"10.0.0.1:9999\" is already used by fabric_addr at nodes.toml:2:15"});
  check_error(R"([[nodes]]
fabric_addr = "10.0.0.1:9999"
bridge_bind = "10.0.0.1:8888"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "10.0.0.2:9999"
bridge_bind = "10.0.0.1:8888"
mem = 1
cpu = 1
)",
              "9:15", {"bridge_bind:", "already used by bridge_bind at nodes.toml:3:15"});
  // Two listeners cannot share an address, whichever key names it.
  check_error(R"([[nodes]]
fabric_addr = "10.0.0.1:9999"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "10.0.0.2:9999"
bridge_bind = "10.0.0.1:9999"
mem = 1
cpu = 1
)",
              "8:15", {"bridge_bind:", "already used by fabric_addr at nodes.toml:2:15"});
  // The same address spelt two ways is still the same address.
  check_error(R"([[nodes]]
fabric_addr = "127.0.0.1:7001"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "localhost:7001"
mem = 1
cpu = 1
)",
              "7:15", {"\"localhost:7001\" is already used by fabric_addr at nodes.toml:2:15"});
}

TEST_CASE("nodes.toml: messages use the path given") {
  const auto config = parse_nodes_toml("", "/etc/constellation/cluster.toml");
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().starts_with("/etc/constellation/cluster.toml:1:1: "));
}

TEST_CASE("nodes.toml: a FIFO or other special file is refused, not waited on") {
  char pattern[] = "/tmp/nodes_config_test.XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  const std::filesystem::path dir = pattern;
  const std::string fifo = (dir / "nodes.toml").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Should the load block on the FIFO (the defect), a writer that opens and closes it after a
  // while ends the wait with an empty file, so the test fails on its assertion instead of hanging.
  std::promise<void> loaded;
  std::jthread unblock([&fifo, done = loaded.get_future()] {
    if (done.wait_for(std::chrono::seconds(5)) == std::future_status::ready) return;
    // Opened and closed at once: the reader sees the end of an empty file.
    const posix::unique_fd writer(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  });
  const auto config = load_nodes_toml(fifo);
  loaded.set_value();
  REQUIRE_FALSE(config.has_value());
  CAPTURE(config.error());
  CHECK(config.error().starts_with(fifo + ": "));
  CHECK(config.error().find("not a regular file") != std::string::npos);
  CHECK(config.error().find("nodes.example.toml") != std::string::npos);

  const auto directory = load_nodes_toml(dir.string());
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().find("not a regular file") != std::string::npos);
  unblock.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("nodes.toml: a wildcard bridge_bind takes its port on every address of its node") {
  // 0.0.0.0:9999 binds port 9999 on each address of the machine, so the fabric of the same entry
  // (or of another entry on the same machine) could not listen there, or the bridge could not.
  check_error(R"([[nodes]]
fabric_addr = "10.0.0.1:9999"
bridge_bind = "0.0.0.0:9999"
mem = 1
cpu = 1
)",
              "3:15",
              {"bridge_bind:", "\"0.0.0.0:9999\"", "port 9999", "fabric_addr at nodes.toml:2:15"});
  // The order of the keys does not matter.
  check_error(R"([[nodes]]
bridge_bind = "0.0.0.0:9999"
fabric_addr = "10.0.0.1:9999"
mem = 1
cpu = 1
)",
              "2:15", {"bridge_bind:", "port 9999", "fabric_addr at nodes.toml:3:15"});
  // Loopback entries all run on the master's machine.
  check_error(R"([[nodes]]
fabric_addr = "127.0.0.11:7001"
bridge_bind = "0.0.0.0:7002"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "127.0.0.12:7002"
mem = 1
cpu = 1
)",
              "3:15", {"bridge_bind:", "port 7002", "fabric_addr at nodes.toml:8:15"});
  // Another machine's fabric on the same port is no conflict.
  const auto config = parse_nodes_toml(R"([[nodes]]
fabric_addr = "10.0.0.1:9999"
bridge_bind = "0.0.0.0:8888"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "10.0.0.2:8888"
mem = 1
cpu = 1
)",
                                       "nodes.toml");
  CHECK_MESSAGE(config.has_value(), config.error());
}
TEST_CASE("nodes.toml: without a chosen secret, the entry off loopback is named by its position") {
  const auto config = parse_nodes_toml(R"([[nodes]]
fabric_addr = "127.0.0.11:7001"
mem = 1
cpu = 1

[[nodes]]
fabric_addr = "127.0.0.12:7001"
bridge_bind = "0.0.0.0:7000"
mem = 1
cpu = 1
)",
                                       "nodes.toml");
  REQUIRE(config.has_value());
  const auto refused = loopback_only_problem(*config);
  REQUIRE(refused.has_value());
  CAPTURE(*refused);
  CHECK(refused->starts_with("nodes.toml:8:15: bridge_bind: "));
  CHECK(refused->find("\"0.0.0.0:7000\"") != std::string::npos);
  CHECK(refused->find("--secret-file") != std::string::npos);

  const auto loopback = parse_nodes_toml(R"([[nodes]]
fabric_addr = "127.0.0.11:7001"
bridge_bind = "127.0.0.11:7000"
mem = 1
cpu = 1
)",
                                         "nodes.toml");
  REQUIRE(loopback.has_value());
  CHECK_FALSE(loopback_only_problem(*loopback).has_value());
}

TEST_CASE("nodes.toml: the master's entry must be LISTEN, said at its position") {
  const auto config = parse_nodes_toml(R"([[nodes]]
fabric_addr = "127.0.0.12:7001"
mem = 1
cpu = 1
)",
                                       "nodes.toml");
  REQUIRE(config.has_value());
  const auto listen = cluster::parse_endpoint("127.0.0.11:7001");
  const auto refused = master_entry_problem(*config, *listen);
  REQUIRE(refused.has_value());
  CAPTURE(*refused);
  CHECK(refused->starts_with("nodes.toml:2:15: fabric_addr: "));
  CHECK(refused->find("127.0.0.11:7001") != std::string::npos);
  CHECK_FALSE(
      master_entry_problem(*config, *cluster::parse_endpoint("127.0.0.12:7001")).has_value());
}
