// The bridge and constellation-deploy together, against a stand-in master (fake_master.hpp): what
// a user sees of a deployed job, and what the master is sent.
#include "bridge_daemon.hpp"

#include "command_run.hpp"
#include "fake_master.hpp"
#include "temporary_directory.hpp"

#include "cluster/binary_cache.hpp"
#include "cluster/endpoint.hpp"
#include "crypto/crypto.hpp"
#include "report/json_events.hpp"
#include "runtime/pid_access.hpp"

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

using namespace constellation;
using namespace cluster_cli_test;
namespace asio = boost::asio;

namespace {

// A secret as `openssl rand -hex 32` makes one: the daemons refuse one without entropy.
constexpr const char* test_secret =
    "9c1b7e4f0a2d6385b1e9f74c2a0d5b8e3f6a1c9d7e2b4f8a0c5d3e1b9f7a6c24";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What the stand-in master saw of the job, written on the loop and read by the test after the
// client ended (or under eventually(), whose reads of a few flags race harmlessly on x86... no:
// everything the test reads while the loop runs goes through the mutex).
struct master_view {
  mutable std::mutex mutex;
  std::uint64_t job = 0;
  wire::job_start start;
  std::string uploaded_hash;
  std::string stdin_bytes;
  bool stdin_ended = false;
  std::vector<std::pair<std::uint64_t, bool>> ends;  // end_job: job, immediately

  template <class F>
  auto with(F f) const {
    std::lock_guard lock(mutex);
    return f();
  }
};

template <class Message>
constexpr std::uint8_t type_of = static_cast<std::uint8_t>(Message::type);

pid top_of(std::uint64_t job) {
  return detail::pid_access::make(job, 1, 0x7f000001, 40001);
}

template <class Event>
void send_event(fake_master& m, Event e) {
  m.send(wire::job_event{report::process_event{std::move(e)}});
}

// The top process starts, prints out, and exits with code; then the job is over.
void run_top(fake_master& m, std::uint64_t job, const std::string& out, int code) {
  const auto top = top_of(job);
  send_event(m, report::spawn_event{pid{}, top});
  send_event(m, report::output_event{top, 1, out});
  send_event(m, report::eof_event{top, 1});
  send_event(m, report::eof_event{top, 2});
  send_event(m, report::exit_event{top, {report::exit_status::kind::code, code}, {}});
  m.send(wire::job_finished{job, {}});
}

// Records what a master would keep of each message; behaviour is up to the test's script.
void record(master_view& view, std::uint8_t type, std::string_view payload) {
  std::lock_guard lock(view.mutex);
  switch (static_cast<wire::cluster_type>(type)) {
    case wire::cluster_type::job_start:
      view.start = *wire::decode_message<wire::job_start>(payload);
      view.job = view.start.job;
      break;
    case wire::cluster_type::binary_upload: {
      auto upload = *wire::decode_message<wire::binary_upload>(payload);
      view.uploaded_hash = crypto::sha256_hex(upload.bytes);
      break;
    }
    case wire::cluster_type::stdin_data: {
      auto data = *wire::decode_message<wire::stdin_data>(payload);
      if (data.job == view.job) view.stdin_bytes += data.bytes;
      break;
    }
    case wire::cluster_type::stdin_eof:
      view.stdin_ended = wire::decode_message<wire::stdin_eof>(payload)->job == view.job;
      break;
    case wire::cluster_type::end_job: {
      auto end = *wire::decode_message<wire::end_job>(payload);
      view.ends.emplace_back(end.job, end.immediately);
      break;
    }
    default:
      break;
  }
}

struct bridge_test_options {
  bool master_reachable = true;
  std::chrono::milliseconds master_wait = std::chrono::seconds(10);
};

class bridge_under_test {
 public:
  explicit bridge_under_test(fake_master::script script, bridge_test_options o = {})
      : secret_path_(tmp_.path() + "/secret"),
        work_(asio::make_work_guard(io_)),
        master_(io_, write_secret(), std::move(script)) {
    bridge::bridge_settings settings;
    settings.listen = {0x7f000001, 0, "127.0.0.1:0"};
    const std::uint16_t master_port = o.master_reachable ? master_.port() : unused_port();
    settings.master = *cluster::parse_endpoint("127.0.0.1:" + std::to_string(master_port));
    settings.secret = secret_;
    settings.master_wait = o.master_wait;
    auto cache = cluster::binary_cache::open(tmp_.path() + "/cache");
    REQUIRE(cache.has_value());
    daemon_ = std::make_unique<bridge::bridge_daemon>(io_, settings, std::move(*cache), log_);
    REQUIRE(daemon_->start().has_value());
    address_ = "127.0.0.1:" + std::to_string(daemon_->local_endpoint().port());
    thread_ = std::thread([this] { io_.run(); });
  }

  ~bridge_under_test() {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  const std::string& address() const { return address_; }
  const std::string& secret_path() const { return secret_path_; }
  std::string cache_dir() const { return tmp_.path() + "/cache"; }
  const fake_master& master() const { return master_; }

  std::vector<std::string> deploy_command(const std::string& format,
                                          std::vector<std::string> args = {},
                                          const std::string& binary = CLUSTER_CLI_PROGRAM) const {
    std::vector<std::string> argv{
        CONSTELLATION_DEPLOY, "--secret-file", secret_path_, "--format", format, address_, binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  command_result deploy(const std::string& format, const std::string& input = {},
                        std::vector<std::string> args = {}) const {
    running_command c(deploy_command(format, std::move(args)), {"FROM_TEST=1"});
    c.write_stdin(input);
    c.close_stdin();
    return c.finish();
  }

 private:
  std::string write_secret() {
    secret_ = test_secret;
    std::ofstream(secret_path_) << secret_;
    ::chmod(secret_path_.c_str(), 0600);
    return secret_;
  }

  static std::uint16_t unused_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
    return a.local_endpoint().port();  // closed again when a goes: nothing listens there
  }

  temporary_directory tmp_;
  std::string secret_path_;
  std::string secret_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  fake_master master_;
  cluster::daemon_log log_{"bridge", false};
  std::unique_ptr<bridge::bridge_daemon> daemon_;
  std::string address_;
  std::thread thread_;
};

struct ignore_sigpipe {
  ignore_sigpipe() { ::signal(SIGPIPE, SIG_IGN); }
} ignoring;

}  // namespace

TEST_CASE(
    "a deployed job: binary uploaded on demand, events shown as locally, the job's exit code") {
  master_view view;
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    record(view, type, payload);
    if (type == type_of<wire::job_start>) {
      m.send(wire::need_binary{view.with([&] { return view.start.program.binary_hash; })});
    } else if (type == type_of<wire::binary_upload>) {
      run_top(m, view.with([&] { return view.job; }), "hello from the top\n", 3);
    }
  });
  const auto human = bridge.deploy("human", {}, {"one", "two"});
  CAPTURE(human.err);
  CHECK(human.exit_code == 3);
  CHECK(human.out == "  hello from the top\n");
  CHECK(human.err.find("exited: 3") != std::string::npos);

  const auto program_hash = crypto::sha256_hex(read_file(CLUSTER_CLI_PROGRAM));
  view.with([&] {
    CHECK(view.job != 0);
    CHECK(view.start.top_needs == resources{.mem = 64 * MiB, .cpu = 0.5});
    CHECK(view.start.program.binary_hash == program_hash);
    CHECK(view.start.program.argv == std::vector<std::string>{CLUSTER_CLI_PROGRAM, "one", "two"});
    CHECK(std::ranges::find(view.start.program.env, "FROM_TEST=1") != view.start.program.env.end());
    CHECK(view.uploaded_hash == program_hash);
    CHECK(view.stdin_ended);
  });
  // The binary is in the bridge's cache, under its hash, private.
  struct stat st {};
  REQUIRE(::stat((bridge.cache_dir() + "/" + program_hash).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  const auto json = bridge.deploy("json");
  CHECK(json.exit_code == 3);
  CHECK(json.err.empty());
  std::vector<report::json_event> events;
  for (std::size_t start = 0; start < json.out.size();) {
    const auto end = json.out.find('\n', start);
    auto e = report::parse_json_line(json.out.substr(start, end - start));
    REQUIRE(e.has_value());
    events.push_back(*e);
    start = end + 1;
  }
  REQUIRE(events.size() == 5);
  CHECK(events[0].event == "spawn");
  CHECK(events[1].data == "hello from the top\n");
  CHECK(events[4].status == 3);
}

TEST_CASE("stdin goes to the master under the bridge's job id, to its end, as it is credited") {
  master_view view;
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    record(view, type, payload);
    if (type == type_of<wire::job_start>)
      m.send(wire::need_binary{view.with([&] { return view.start.program.binary_hash; })});
    // As the top process's node would once the bytes are in the process's pipe: without it, the
    // client stops after stdin_window bytes.
    if (type == type_of<wire::stdin_data>) {
      const auto data = *wire::decode_message<wire::stdin_data>(payload);
      m.send(wire::stdin_credit{data.job, data.bytes.size()});
    }
    if (type == type_of<wire::stdin_eof>) {
      const auto [job, echoed] = view.with([&] { return std::pair{view.job, view.stdin_bytes}; });
      run_top(m, job, echoed, 0);
    }
  });
  std::string input;
  for (int i = 0; i < 100000; ++i) input += "line " + std::to_string(i) + "\n";
  REQUIRE(input.size() > 4 * wire::stdin_window);
  const auto r = bridge.deploy("json", input);
  CHECK(r.exit_code == 0);
  view.with([&] {
    CHECK(view.stdin_bytes == input);
    CHECK(view.stdin_ended);
  });
}

TEST_CASE("a job that cannot run: the master's problem, exit 1, in either format") {
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    if (type == type_of<wire::job_start>)
      m.send(wire::job_finished{wire::decode_message<wire::job_start>(payload)->job,
                                "the top process never fits"});
  });
  const auto human = bridge.deploy("human");
  CHECK(human.exit_code == 1);
  CHECK(human.err == "constellation-deploy: the top process never fits\n");
  const auto json = bridge.deploy("json");
  CHECK(json.exit_code == 1);
  CHECK(json.out == "{\"event\":\"error\",\"message\":\"the top process never fits\"}\n");
  CHECK(json.err.empty());
}

TEST_CASE("a program whose recce fails is not started") {
  bridge_under_test bridge([&](fake_master&, std::uint8_t, std::string_view) {});
  temporary_directory tmp;
  const std::string script = tmp.path() + "/not-constellation";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  ::chmod(script.c_str(), 0700);
  running_command c(bridge.deploy_command("human", {}, script));
  c.close_stdin();
  const auto r = c.finish();
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "constellation-deploy: the program did not report its resources (it printed \"hi\", not "
        "{\"mem\":...,\"cpu\":...}): does main() call constellation::init() first?\n");
  const auto received = bridge.master().received();
  CHECK(std::ranges::find(received, type_of<wire::job_start>) == received.end());
}

TEST_CASE("the master lost mid-job: the client is told, and exits 1") {
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    if (type == type_of<wire::job_start>) {
      send_event(m, report::spawn_event{
                        pid{}, top_of(wire::decode_message<wire::job_start>(payload)->job)});
      m.drop();
    }
  });
  const auto r = bridge.deploy("human");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(
            "constellation-deploy: the bridge lost the connection to the master at 127.0.0.1:") !=
        std::string::npos);
  CHECK(r.err.find("what became of the job's processes is unknown") != std::string::npos);
  // The bridge connects again.
  CHECK(eventually([&] { return bridge.master().connections() == 2; }));
}

TEST_CASE("no master: the job fails after the wait, naming the master") {
  bridge_under_test bridge(
      [&](fake_master&, std::uint8_t, std::string_view) {},
      {.master_reachable = false, .master_wait = std::chrono::milliseconds(300)});
  const auto r = bridge.deploy("human");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("constellation-deploy: the bridge cannot reach the master at 127.0.0.1:") !=
        std::string::npos);
  CHECK(r.err.find("Connection refused") != std::string::npos);
}

TEST_CASE("Ctrl-C ends the job gently, and the output goes on to the job's end") {
  master_view view;
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    record(view, type, payload);
    const auto job = view.with([&] { return view.job; });
    if (type == type_of<wire::job_start>) {
      send_event(m, report::spawn_event{pid{}, top_of(job)});
    } else if (type == type_of<wire::end_job> &&
               !wire::decode_message<wire::end_job>(payload)->immediately) {
      send_event(m, report::output_event{top_of(job), 1, "cleaning up\n"});
      send_event(m,
                 report::exit_event{top_of(job), {report::exit_status::kind::signal, SIGTERM}, {}});
      m.send(wire::job_finished{job, {}});
    }
  });
  running_command c(bridge.deploy_command("human"));
  REQUIRE(eventually([&] { return view.with([&] { return view.job != 0; }); }));
  c.signal(SIGINT);
  const auto r = c.finish();
  CHECK(r.exit_code == 128 + SIGTERM);
  CHECK(r.out == "  cleaning up\n");
  view.with([&] {
    REQUIRE(view.ends.size() == 1);
    CHECK(view.ends[0] == std::pair{view.job, false});
  });
}

TEST_CASE("a client that vanishes has its job ended for it: gently, then at once") {
  master_view view;
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    record(view, type, payload);
    if (type == type_of<wire::job_start>)
      send_event(m, report::spawn_event{pid{}, top_of(view.with([&] { return view.job; }))});
  });
  {
    running_command c(bridge.deploy_command("human"));
    REQUIRE(eventually([&] { return view.with([&] { return view.job != 0; }); }));
  }  // killed with SIGKILL
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return view.with([&] { return view.ends.size() == 2; }); }));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= bridge::orphan_grace - std::chrono::milliseconds(500));
  CHECK(took < bridge::orphan_grace + std::chrono::seconds(2));
  view.with([&] {
    CHECK(view.ends[0] == std::pair{view.job, false});
    CHECK(view.ends[1] == std::pair{view.job, true});
  });
}

TEST_CASE("status: the master's reply as a table or as JSON") {
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view) {
    if (type != type_of<wire::status_request>) return;
    wire::status_reply reply;
    reply.nodes.push_back({"127.0.0.11:7001", true, 2 * GiB, 64 * MiB, 2, 0.5, {"0a1b2c3"}});
    reply.jobs = 1;
    m.send(reply);
  });
  running_command human(
      {CONSTELLATION_DEPLOY, "status", "--secret-file", bridge.secret_path(), bridge.address()});
  const auto h = human.finish();
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("127.0.0.11:7001  up     64 MiB / 2 GiB") != std::string::npos);
  running_command json({CONSTELLATION_DEPLOY, "status", "--format", "json", "--secret-file",
                        bridge.secret_path(), bridge.address()});
  const auto j = json.finish();
  CHECK(j.exit_code == 0);
  CHECK(j.out.starts_with("{\"nodes\":[{\"address\":\"127.0.0.11:7001\""));
}

TEST_CASE("status without a master says why") {
  bridge_under_test bridge(
      [&](fake_master&, std::uint8_t, std::string_view) {},
      {.master_reachable = false, .master_wait = std::chrono::milliseconds(300)});
  running_command c(
      {CONSTELLATION_DEPLOY, "status", "--secret-file", bridge.secret_path(), bridge.address()});
  const auto r = c.finish();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("constellation-deploy: the bridge cannot reach the master") !=
        std::string::npos);
}

TEST_CASE("garbage and strangers cost only their own connection") {
  master_view view;
  bridge_under_test bridge([&](fake_master& m, std::uint8_t type, std::string_view payload) {
    record(view, type, payload);
    if (type == type_of<wire::job_start>)
      run_top(m, view.with([&] { return view.job; }), "still serving\n", 0);
  });
  const auto endpoint = cluster::tcp_endpoint(*cluster::parse_endpoint(bridge.address()));
  asio::io_context io;
  for (const std::string& garbage :
       {std::string("GET / HTTP/1.0\r\n\r\n"), std::string(100, '\xff'),
        std::string("\x02\0\0\0\xc1\x01", 6)}) {
    asio::ip::tcp::socket s(io);
    s.connect(endpoint);
    asio::write(s, asio::buffer(garbage));
    char byte;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&byte, 1), ec);  // the bridge closes it
    CHECK(ec);
  }
  // A client with another secret is refused, and told which secret file it used.
  temporary_directory tmp;
  const std::string other = tmp.path() + "/other-secret";
  std::ofstream(other) << "0f3e9d2c7b6a5948372615f4e3d2c1b0a9f8e7d6c5b4a3928170f6e5d4c3b2a1";
  ::chmod(other.c_str(), 0600);
  running_command stranger(
      {CONSTELLATION_DEPLOY, "--secret-file", other, bridge.address(), CLUSTER_CLI_PROGRAM});
  stranger.close_stdin();
  const auto refused = stranger.finish();
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("cannot authenticate with the bridge at " + bridge.address()) !=
        std::string::npos);
  CHECK(refused.err.find(other) != std::string::npos);
  // And the bridge goes on serving.
  const auto r = bridge.deploy("human");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "  still serving\n");
}

TEST_CASE("no bridge: a clear message naming the address") {
  temporary_directory tmp;
  const std::string secret = tmp.path() + "/secret";
  std::ofstream(secret) << test_secret;
  ::chmod(secret.c_str(), 0600);
  running_command c(
      {CONSTELLATION_DEPLOY, "--secret-file", secret, "127.0.0.1:1", CLUSTER_CLI_PROGRAM});
  const auto r = c.finish();
  CHECK(r.exit_code == 1);
  CHECK(
      r.err ==
      "constellation-deploy: cannot connect to the bridge at 127.0.0.1:1 (Connection refused): is "
      "constellation-bridge running there?\n");
}

TEST_CASE("the bridge lost mid-job: the client says so and exits 1, without hanging") {
  // A bridge that takes the request, shows the top process starting, and vanishes.
  temporary_directory tmp;
  const std::string secret_path = tmp.path() + "/secret";
  const std::string secret = test_secret;
  std::ofstream(secret_path) << secret;
  ::chmod(secret_path.c_str(), 0600);
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  std::shared_ptr<agent::frame_connection> client;
  acceptor.async_accept([&](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    REQUIRE_FALSE(ec);
    cluster::accept_link(
        std::move(socket), {secret, wire::purpose::deploy, "bridge"},
        [&](std::shared_ptr<agent::frame_connection> c, std::string, std::string already) {
          client = c;
          c->start(
              [&](std::uint8_t type, std::string_view) {
                if (type != type_of<wire::deploy_request>) return;
                client->send(wire::encode_message(
                    wire::job_event{report::process_event{report::spawn_event{pid{}, top_of(7)}}}));
                client->close();
              },
              [](const agent::connection_end&) {}, std::move(already));
        },
        [](const cluster::link_failure&) {});
  });
  std::thread loop([&] { io.run(); });
  const std::string address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  running_command c(
      {CONSTELLATION_DEPLOY, "--secret-file", secret_path, address, CLUSTER_CLI_PROGRAM});
  const auto r = c.finish(std::chrono::seconds(20));
  loop.join();
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("[") != std::string::npos);  // the spawn was shown before
  CHECK(r.err.find("constellation-deploy: lost the connection to the bridge at " + address) !=
        std::string::npos);
}
