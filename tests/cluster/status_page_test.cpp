// What an operator sees of a running cluster: every daemon started with --http serves /metrics
// (Prometheus' text format) and the master its status page. With a job in flight on all three
// nodes, the metrics count what happened and the page, rendered by a real headless Chromium,
// shows the nodes, the job and its process tree; after the job, both show it ended.
#include "fixture/child_process.hpp"
#include "fixture/http_get.hpp"
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/raw_connection.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace cluster_test;

namespace {

constexpr const char* chromium = "/usr/bin/chromium";

local_cluster serving_cluster() {
  auto layout = loopback_layout();
  layout.serve_http = true;
  return local_cluster(layout);
}

std::string get_ok(const std::string& address, const std::string& path) {
  const auto reply = http_get(address, path);
  REQUIRE_MESSAGE(reply, "no HTTP reply from " << address << path);
  REQUIRE_MESSAGE(reply->status == 200, reply->head);
  return reply->body;
}

// A stranger's connection to the fabric port: bytes that are no handshake.
void knock_without_secret(const std::string& address) {
  raw_connection c(address);
  REQUIRE(c.connected());
  c.send(std::string(200, 'x'));
  CHECK(c.closed_by_peer(milliseconds(5000)));
}

// Chromium, headless, on url: the page's DOM once its script ran for budget_ms of virtual time,
// and a screenshot into png. A browser of its own (profile in folder), as root without sandbox.
std::string render_page(const std::string& folder, const std::string& url, const std::string& png) {
  const std::vector<std::string> common{chromium,
                                        "--headless",
                                        "--no-sandbox",
                                        "--disable-gpu",
                                        "--disable-dev-shm-usage",
                                        "--no-first-run",
                                        "--user-data-dir=" + folder + "/chromium",
                                        "--virtual-time-budget=4000",
                                        "--window-size=1280,900"};
  auto dump = common;
  dump.insert(dump.end(), {"--dump-dom", url});
  const auto dom = run_to_end({dump, {"HOME=" + folder + "/home"}, {}, {}}, milliseconds(60000));
  REQUIRE_MESSAGE(dom.exit_code == 0, "chromium --dump-dom failed:\n" << dom.err);
  auto shot = common;
  shot.insert(shot.end(), {"--screenshot=" + png, url});
  const auto taken = run_to_end({shot, {"HOME=" + folder + "/home"}, {}, {}}, milliseconds(60000));
  REQUIRE_MESSAGE(taken.exit_code == 0, "chromium --screenshot failed:\n" << taken.err);
  return dom.out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the metrics and the status page show a running job on every node, then its end") {
  auto cluster = serving_cluster();
  INFO(cluster.diagnostics());
  const auto master_http = cluster.http_address(0);

  auto deploy = cluster.deploy({"spread"});
  REQUIRE_MESSAGE(deploy.wait_for_output(spread_job_holding, patience(milliseconds(20000))),
                  deploy.out() << deploy.err());
  const job_events events(deploy.out());
  const auto top = events.top();
  const auto a = spawned_pid(deploy.out(), "A"), b = spawned_pid(deploy.out(), "B"),
             c = spawned_pid(deploy.out(), "C");

  // The job as the page's document has it: its process tree, each process on its node.
  const auto doc = nlohmann::json::parse(get_ok(master_http, "/status.json"));
  REQUIRE(doc["jobs"].size() == 1);
  const auto& job = doc["jobs"][0];
  const std::string job_id = job["id"];
  CHECK(job["state"] == "running");
  REQUIRE(job["processes"].size() == 4);
  for (const auto& p : job["processes"]) {
    if (p["pid"] == top) {
      CHECK(p["parent"] == "");
      CHECK(p["node"] == cluster.fabric_address(0));
    } else {
      CHECK(p["parent"] == top);
    }
    if (p["pid"] == b) CHECK(p["node"] == cluster.fabric_address(1));
    if (p["pid"] == c) CHECK(p["node"] == cluster.fabric_address(2));
  }

  {  // the master's /metrics
    // The children's counter leaves them within a second.
    std::string metrics;
    CHECK(eventually(
        [&] {
          metrics = get_ok(master_http, "/metrics");
          return metric_value(metrics, "constellation_job_held_children_total{job=\"" + job_id +
                                           "\"}") == 3.0;
        },
        milliseconds(5000)));
    INFO(metrics);
    CHECK(metric_value(metrics, "constellation_nodes{state=\"up\"}") == 3.0);
    CHECK(metric_value(metrics, "constellation_jobs_running") == 1.0);
    CHECK(metric_value(metrics, "constellation_job_processes{job=\"" + job_id + "\",node=\"" +
                                    cluster.fabric_address(0) + "\"}") == 2.0);
    CHECK(metric_value(metrics, "constellation_job_processes{job=\"" + job_id + "\",node=\"" +
                                    cluster.fabric_address(2) + "\"}") == 1.0);
    CHECK(metric_value(metrics, "constellation_node_memory_reserved_bytes{node=\"" +
                                    cluster.fabric_address(1) + "\"}") == 900.0 * 1024 * 1024);
    CHECK(metric_value(metrics, "constellation_spawns_total") == 4.0);
    CHECK(metric_value(metrics,
                       "constellation_launch_duration_seconds_count{outcome=\"started\"}") == 4.0);
    CHECK(metric_value(metrics, "constellation_output_bytes_total{stream=\"stdout\"}") > 0.0);
    CHECK(metric_value(metrics, "constellation_binaries_cached{cache=\"master\"}") == 1.0);
    CHECK(metric_value(metrics, "constellation_binary_cache_bytes{cache=\"node\"}") > 100'000.0);
    CHECK(metrics.find("# TYPE constellation_launch_duration_seconds histogram") !=
          std::string::npos);

    // A node serves its own figures.
    const auto node_metrics = get_ok(cluster.http_address(2), "/metrics");
    CHECK(metric_value(node_metrics, "constellation_node_processes") == 1.0);
    CHECK(metric_value(node_metrics, "constellation_node_master_linked") == 1.0);
    CHECK(metric_value(node_metrics, "constellation_node_launches_total{outcome=\"started\"}") ==
          1.0);
    CHECK(node_metrics.find("constellation_nodes{") == std::string::npos);

    // A peer without the secret is counted where it knocked.
    knock_without_secret(cluster.fabric_address(1));
    CHECK(eventually(
        [&] {
          return metric_value(get_ok(cluster.http_address(1), "/metrics"),
                              "constellation_authentication_failures_total") == 1.0;
        },
        milliseconds(5000)));
  }

  if (::access(chromium, X_OK) != 0) {
    // CI installs it (scripts/install-deps.sh); a developer's machine may not have it.
    REQUIRE_MESSAGE(std::getenv("CI") == nullptr, "chromium is missing: apt-get install chromium");
    MESSAGE(
        "SKIPPED: the status page in a browser: /usr/bin/chromium is not installed (apt-get "
        "install chromium)");
  } else {  // the status page in a browser
    std::filesystem::create_directories(SCREENSHOT_DIR);
    const std::string png = std::string(SCREENSHOT_DIR) + "/status_page.png";
    std::filesystem::remove(png);
    const auto dom = render_page(cluster.folder(), "http://" + master_http + "/", png);
    INFO(dom);
    CHECK(contains(dom, "3 of 3 nodes up · 1 job running"));
    for (std::size_t k = 0; k < 3; ++k)
      CHECK(contains(dom, "data-node=\"" + cluster.fabric_address(k) + "\""));
    CHECK(contains(dom, "1.6 GiB of 2.0 GiB"));  // A and the top on the first node: 1536 + 64 MiB
    CHECK(contains(dom, "900 MiB of 1.0 GiB"));  // B
    CHECK(contains(dom, "data-job=\"" + job_id + "\""));
    CHECK(contains(dom, "cluster_programs spread"));
    // The tree: each child's item inside the top's.
    const auto top_item = dom.find("data-pid=\"" + top + "\"");
    REQUIRE(top_item != std::string::npos);
    for (const auto& child : {a, b, c}) {
      const auto item = dom.find("data-pid=\"" + child + "\"");
      CHECK(item != std::string::npos);
      CHECK(item > top_item);
    }
    CHECK(contains(dom, "held_children 3"));
    CHECK(contains(dom, "live · "));
    REQUIRE(std::filesystem::exists(png));
    std::ifstream in(png, std::ios::binary);
    std::string magic(8, '\0');
    in.read(magic.data(), 8);
    CHECK(magic == "\x89PNG\r\n\x1a\n");
    CHECK(std::filesystem::file_size(png) > 10'000);
    MESSAGE("the status page's screenshot: " << png);
  }

  {  // the endpoints are read-only and say what they serve
    const auto post = http_get(master_http, "/metrics", "POST");
    REQUIRE(post);
    CHECK(post->status == 405);
    CHECK(contains(post->head, "Allow: GET, HEAD"));
    const auto missing = http_get(master_http, "/admin");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(contains(missing->body, "/metrics"));
    const auto head = http_get(master_http, "/metrics", "HEAD");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->body.empty());
  }

  // The job ends: the page's document and the metrics show it ended, with its counters.
  deploy.write_stdin("go\n");
  const auto code = deploy.wait_exit(patience(milliseconds(15000)));
  REQUIRE(code);
  CHECK(*code == 0);
  nlohmann::json after;
  CHECK(eventually(
      [&] {
        after = nlohmann::json::parse(get_ok(master_http, "/status.json"));
        return after["jobs"].empty() && !after["ended_jobs"].empty();
      },
      milliseconds(5000)));
  REQUIRE(!after["ended_jobs"].empty());
  CHECK(after["ended_jobs"][0]["id"] == job_id);
  CHECK(after["ended_jobs"][0]["outcome"] == "exit 0");
  CHECK(after["ended_jobs"][0]["counters"]["held_children"] == 3);
  const auto metrics = get_ok(master_http, "/metrics");
  CHECK(metric_value(metrics, "constellation_jobs_running") == 0.0);
  CHECK(metric_value(metrics, "constellation_node_memory_reserved_bytes{node=\"" +
                                  cluster.fabric_address(0) + "\"}") == 0.0);
}

TEST_CASE("--http beyond loopback needs the cluster's secret, and a bad address is named") {
  const auto folder =
      std::filesystem::temp_directory_path() / ("http-refusal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  auto fabric_with = [&](const std::string& http) {
    return run_to_end({{fabric_program(), "--http", http, "127.0.0.31:7301"},
                       {"HOME=" + folder.string(), "TMPDIR=" + folder.string()},
                       {"CONSTELLATION_SECRET_FILE"},
                       {}},
                      milliseconds(10000));
  };
  const auto refused = fabric_with("0.0.0.0:7380");
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, "refusing to serve HTTP on 0.0.0.0:7380 without a shared secret"));
  const auto bad = fabric_with("localhost");
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "--http"));
  std::filesystem::remove_all(folder);
}
