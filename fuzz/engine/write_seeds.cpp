// Writes the seed corpus of each harness: valid inputs, so that fuzzing starts from messages a
// peer really sends rather than from nothing. Run by `make fuzz-seeds`; its output is committed
// under fuzz/corpus/NAME/seed-*, beside the reproducers of what fuzzing found.
//
//   write_seeds CORPUS_DIR

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <constellation/dataflow/codec.hpp>

#include "protocol.hpp"
#include "wire/cluster_messages.hpp"
#include "wire/fork_messages.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"

namespace {

using namespace constellation;
namespace fs = std::filesystem;

fs::path corpus;

void write(const std::string& harness, const std::string& name, const std::string& bytes) {
  const auto dir = corpus / harness;
  fs::create_directories(dir);
  std::ofstream(dir / ("seed-" + name), std::ios::binary) << bytes;
}

template <class... Messages>
std::string frames(const Messages&... messages) {
  std::string out;
  (wire::append_message(out, messages), ...);
  return out;
}

void wire_seeds() {
  write("frame_decoder", "two", [] {
    std::string s;
    wire::append_frame(s, 1, "hello");
    wire::append_frame(s, 2, "");
    return s;
  }());

  wire::spawn_request spawn;
  spawn.request_id = 7;
  spawn.entry = {"build-id:ab12", "prog", 64};
  spawn.function = {"build-id:ab12", "prog", 128};
  spawn.arguments = "args";
  write("control_messages", "spawn", frames(spawn, wire::peer_status_request{3, pid{}}));
  write("control_messages", "progress",
        frames(wire::progress_report{false, "half", {{"done", 0.5}}},
               wire::counter_report{{{"rows", 10}}}));
  write("control_messages", "monitor",
        frames(wire::started_report{42}, wire::output_report{1, "out"}, wire::eof_report{2},
               wire::exit_report{{report::exit_status::kind::signal, 9}, "killed"},
               wire::terminate_order{true, 2}));

  wire::program_description program{std::string(64, 'a'), 1000, {"prog", "--flag"}, {"HOME=/root"}};
  wire::job_start start;
  start.job = 1;
  start.program = program;
  start.client = "127.0.0.1:5000";
  write("cluster_messages", "deploy",
        frames(wire::deploy_request{program}, wire::binary_upload{program.binary_hash, "ELF"},
               wire::stdin_data{1, "input"}, wire::stdin_eof{1}, wire::end_job{1, false, 2}));
  write("cluster_messages", "bridge",
        frames(start, wire::status_request{}, wire::jobs_request{}, wire::kill_job_request{"ab"}));
  wire::launch_order order;
  order.request_id = 5;
  order.program = program;
  order.spec.arguments = "args";
  write("cluster_messages", "fabric",
        frames(order, wire::process_reply{pid{}, "frame"}, wire::master_verdict{true, ""},
               wire::launch_result{5, pid{}, false, ""}, wire::process_request{pid{}, 1, "payload"},
               wire::bridge_order{"127.0.0.12:7000", "127.0.0.11:9999"},
               wire::stdin_credit{1, 4096}, wire::output_credit{1, 65536}));
  wire::status_reply status;
  status.nodes.push_back({"127.0.0.1:9999", true, 1 << 30, 1 << 20, 4, 1.5, {"p1"}});
  wire::jobs_reply jobs;
  jobs.jobs.push_back({1, {"prog"}, "client", "running", "", 2, 3, 1000, 0});
  write("cluster_messages", "answers",
        frames(status, jobs, wire::kill_job_reply{1, ""}, wire::need_binary{program.binary_hash},
               wire::job_finished{1, "gone"}));

  std::string fork_records;
  wire::append_message(fork_records, wire::fork_request{9, 0x1f});
  wire::append_message(fork_records, wire::forked{9, 1234});
  wire::append_message(fork_records, wire::fork_refused{10, "no memory"});
  write("fork_messages", "all", fork_records);

  // The handshake harness reads a first byte: below 0x80 the server side, in reads of that many
  // bytes plus one; from 0x80 the client side.
  const std::string secret(32, 's');
  wire::handshake_client client(secret, "bridge", "client");
  write("handshake", "hello", std::string(1, '\x7f') + client.start() + std::string(37, 'p'));
  wire::handshake_server server(secret, "fabric", "server");
  wire::handshake_client other(secret, "fabric", "client");
  const auto reply = server.feed(other.start());
  write("handshake", "reply", std::string(1, '\xff') + reply->to_send);
}

void text_seeds() {
  write("http_request", "get", "GET /metrics HTTP/1.1\r\nHost: node\r\nAccept: */*\r\n\r\n");
  write("http_request", "query", "HEAD /status?job=1 HTTP/1.0\n\n");
  write("endpoint", "address", "10.0.0.1:9999");
  write("endpoint", "localhost", "localhost:80");
  write(
      "nodes_toml", "cluster",
      "[[nodes]]\nfabric_addr = \"127.0.0.11:9999\"\nbridge_bind = \"127.0.0.11:8888\"\n"
      "mem = \"2 GiB\"\ncpu = 4\n\n[[nodes]]\nfabric_addr = \"127.0.0.12:9999\"\nmem = 1073741824\n"
      "cpu = 0.5\n");
}

void dataflow_seeds() {
  namespace df = dataflow::detail;
  std::string pairs(1, '\0');
  for (const auto& p : std::vector<std::pair<std::string, std::int64_t>>{{"a", 1}, {"bc", -2}})
    df::encode(pairs, p);
  write("dataflow_codec", "pairs", pairs);
  std::string tuples(1, '\1');
  df::encode(tuples, std::tuple<std::uint32_t, std::optional<std::string>, double>{3, "x", 0.25});
  write("dataflow_codec", "tuples", tuples);
  std::string nested(1, '\3');
  df::encode(nested,
             std::vector<std::pair<std::string, std::vector<std::string>>>{{"k", {"v", "w"}}});
  write("dataflow_codec", "nested", nested);
  df::command command;
  command.bytes = "task";
  command.dropped = {1, 2};
  write("dataflow_codec", "command", std::string(1, '\5') + detail::serialize_value(command));
  df::report report;
  report.kept = {{1, 2}};
  write("dataflow_codec", "report", std::string(1, '\6') + detail::serialize_value(report));
  write("dataflow_codec", "block",
        std::string(1, '\7') + detail::serialize_value(df::block{1, 2, 3, 4, false, "xy"}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  corpus = argv[1];
  wire_seeds();
  text_seeds();
  dataflow_seeds();
  return 0;
}
