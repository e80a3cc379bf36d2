#include "posix/unique_fd.hpp"
#include "report/json_events.hpp"
#include "report/json_writer.hpp"
#include "runtime/pid_access.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

using namespace constellation;
using namespace constellation::report;

namespace {

pid json_test_pid(std::uint32_t serial) {
  return detail::pid_access::make(0x1234, serial, 0x7f000001, 4000);
}

exit_event exited(pid p, exit_status::kind how, int value, std::string reason = {}) {
  return {p, {how, value}, std::move(reason)};
}

}  // namespace

TEST_CASE("json: every event shape, exactly") {
  const pid top = json_test_pid(1);
  const pid child = json_test_pid(2);
  const std::string t = top.to_string();
  const std::string c = child.to_string();
  using k = exit_status::kind;

  CHECK(to_json_line(spawn_event{pid{}, top}) ==
        R"({"event":"spawn","pid":null,"child":")" + t + "\"}\n");
  CHECK(to_json_line(spawn_event{top, child}) ==
        R"({"event":"spawn","pid":")" + t + R"(","child":")" + c + "\"}\n");
  CHECK(to_json_line(output_event{child, 1, "hi\n"}) ==
        R"({"event":"output","pid":")" + c + R"(","fd":1,"data":"aGkK"})" + "\n");
  CHECK(to_json_line(output_event{child, 2, ""}) ==
        R"({"event":"output","pid":")" + c + R"(","fd":2,"data":""})" + "\n");
  CHECK(to_json_line(eof_event{child, 1}) ==
        R"({"event":"output","pid":")" + c + R"(","fd":1,"eof":true})" + "\n");
  CHECK(to_json_line(exited(child, k::code, 3)) ==
        R"({"event":"exit","pid":")" + c + R"(","status":3})" + "\n");
  CHECK(to_json_line(exited(child, k::code, 0)) ==
        R"({"event":"exit","pid":")" + c + R"(","status":0})" + "\n");
  CHECK(to_json_line(exited(child, k::signal, 6)) ==
        R"({"event":"exit","pid":")" + c + R"(","signal":"SIGABRT"})" + "\n");
  CHECK(to_json_line(exited(child, k::signal, 9, "memory limit of 100 MiB exceeded")) ==
        R"({"event":"exit","pid":")" + c +
            R"(","signal":"SIGKILL","reason":"memory limit of 100 MiB exceeded"})" + "\n");
}

TEST_CASE("json: a reason is escaped and stays one valid line, even with bad UTF-8") {
  const pid p = json_test_pid(1);
  const std::string line = to_json_line(exited(p, exit_status::kind::code, 1, "a\"b\nc\xff"));
  CHECK(line.find('\n') == line.size() - 1);
  const auto back = parse_json_line(line);
  REQUIRE(back.has_value());
  CHECK(back->reason == "a\"b\nc\xef\xbf\xbd");  // the bad byte became U+FFFD
}

TEST_CASE("json: round trip through parse_json_line") {
  const pid top = json_test_pid(1);
  const pid child = json_test_pid(2);
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);

  auto spawn_top = parse_json_line(to_json_line(spawn_event{pid{}, top}));
  REQUIRE(spawn_top.has_value());
  json_event expected;
  expected.event = "spawn";
  expected.child = top.to_string();
  CHECK(*spawn_top == expected);

  auto spawn_child = parse_json_line(to_json_line(spawn_event{top, child}));
  REQUIRE(spawn_child.has_value());
  expected.pid = top.to_string();
  expected.child = child.to_string();
  CHECK(*spawn_child == expected);

  auto output = parse_json_line(to_json_line(output_event{child, 2, all_bytes}));
  REQUIRE(output.has_value());
  expected = json_event{};
  expected.event = "output";
  expected.pid = child.to_string();
  expected.fd = 2;
  expected.data = all_bytes;
  CHECK(*output == expected);

  auto eof = parse_json_line(to_json_line(eof_event{child, 1}));
  REQUIRE(eof.has_value());
  expected.fd = 1;
  expected.data.clear();
  expected.eof = true;
  CHECK(*eof == expected);

  auto code = parse_json_line(to_json_line(exited(child, exit_status::kind::code, 3, "why")));
  REQUIRE(code.has_value());
  expected = json_event{};
  expected.event = "exit";
  expected.pid = child.to_string();
  expected.status = 3;
  expected.reason = "why";
  CHECK(*code == expected);

  auto signal = parse_json_line(to_json_line(exited(top, exit_status::kind::signal, 6)));
  REQUIRE(signal.has_value());
  expected.pid = top.to_string();
  expected.status.reset();
  expected.signal = "SIGABRT";
  expected.reason.clear();
  CHECK(*signal == expected);
}

TEST_CASE("json: malformed lines are refused") {
  for (const char* bad : {"", "not json", "[]", "{}", R"({"event":"dance","pid":"a"})",
                          R"({"event":"spawn","child":"b"})",  // pid missing, not null
                          R"({"event":"spawn","pid":"a"})",    // no child
                          R"({"event":"output","pid":null,"fd":1,"eof":true})",
                          R"({"event":"output","pid":"a","data":"aGkK"})",        // no fd
                          R"({"event":"output","pid":"a","fd":1,"data":"aGk"})",  // bad base64
                          R"({"event":"output","pid":"a","fd":1,"eof":false})",
                          R"({"event":"output","pid":"a","fd":1})", R"({"event":"exit","pid":"a"})",
                          R"({"event":"exit","pid":"a","status":1,"signal":"SIGKILL"})",
                          R"({"event":"exit","pid":"a","status":"1"})",
                          R"({"event":"exit","pid":"a","status":4294967296})",
                          R"({"event":"exit","pid":"a","status":1} trailing)"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_json_line(bad).has_value());
  }
  CHECK(parse_json_line(R"({"event":"exit","pid":"a","status":1,"new_key":[1]})").has_value());
}

TEST_CASE("json_writer: one line per event on out_fd") {
  const posix::unique_fd file(::memfd_create("json_writer_test", 0));
  REQUIRE(file);
  const pid p = json_test_pid(1);
  json_writer writer(file.get());
  writer.write(spawn_event{pid{}, p});
  writer.write(output_event{p, 1, std::string("\0\xff", 2)});
  writer.write(exit_event{p, {}, {}});
  std::string written(4096, '\0');
  const ssize_t n = ::pread(file.get(), written.data(), written.size(), 0);
  REQUIRE(n > 0);
  written.resize(static_cast<std::size_t>(n));
  CHECK(written == to_json_line(spawn_event{pid{}, p}) +
                       to_json_line(output_event{p, 1, std::string("\0\xff", 2)}) +
                       to_json_line(exit_event{p, {}, {}}));
}

TEST_CASE("json_writer: a reader that went away does not stop the writer") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  posix::unique_fd read_end(fds[0]), write_end(fds[1]);
  read_end.reset();                                     // the reader goes away
  const auto previous = std::signal(SIGPIPE, SIG_IGN);  // as the bridge does
  json_writer writer(write_end.get());
  writer.write(eof_event{json_test_pid(1), 1});  // EPIPE, swallowed
  writer.write(eof_event{json_test_pid(1), 2});
  std::signal(SIGPIPE, previous);
}

namespace {

progress_event progress_report_of(const pid& p, std::string text,
                                  std::vector<std::pair<std::string, double>> figures) {
  return {p, false, std::move(text), std::move(figures)};
}

}  // namespace

TEST_CASE("progress: JSON lines and their parse") {
  const pid p = json_test_pid(3);
  const std::string id = p.to_string();
  CHECK(to_json_line(progress_report_of(p, "sorting",
                                        {{"done", 3}, {"total", 10.5}, {"pid", 1}, {"done", 4}})) ==
        R"({"event":"progress","pid":")" + id + R"(","text":"sorting","done":3.0,"total":10.5})" +
            "\n");
  CHECK(to_json_line(progress_event{p, true, {}, {}}) ==
        R"({"event":"progress","pid":")" + id + R"(","clear":true})" + "\n");

  const auto parsed =
      parse_json_line(to_json_line(progress_report_of(p, "t", {{"b", 2}, {"a", 1}})));
  REQUIRE(parsed);
  CHECK(parsed->event == "progress");
  CHECK(parsed->text == "t");
  CHECK(parsed->figures == std::vector<std::pair<std::string, double>>{{"a", 1}, {"b", 2}});
  const auto cleared = parse_json_line(to_json_line(progress_event{p, true, {}, {}}));
  REQUIRE(cleared);
  CHECK(cleared->clear);
  CHECK_FALSE(parse_json_line(R"({"event":"progress","pid":"a"})").has_value());
}

TEST_CASE("json: a trapped child's spawn says so") {
  const pid top = json_test_pid(1), child = json_test_pid(2);
  CHECK(to_json_line(spawn_event{top, child, true}) ==
        R"({"event":"spawn","pid":")" + top.to_string() + R"(","child":")" + child.to_string() +
            R"(","trapped":true})" + "\n");
  const auto parsed = parse_json_line(to_json_line(spawn_event{top, child, true}));
  REQUIRE(parsed);
  CHECK(parsed->trapped);
  CHECK_FALSE(parse_json_line(to_json_line(spawn_event{top, child}))->trapped);
}
