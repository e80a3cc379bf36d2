#include "report/human_writer.hpp"
#include "runtime/pid_access.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

using namespace constellation;
using namespace constellation::report;

namespace {

pid human_test_pid(std::uint32_t serial) {
  return detail::pid_access::make(0x77, serial, 0x7f000001, 4000);
}

// An in-memory file standing in for a terminal: what was written can be read back whole.
struct captured_fd {
  int fd = ::memfd_create("human_writer_test", 0);
  ~captured_fd() { ::close(fd); }
  std::string contents() const {
    std::string out(1 << 16, '\0');
    const ssize_t n = ::pread(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }
};

// Writes events with stdout and stderr on one fd, as on a terminal, and returns what was shown.
std::string shown(std::initializer_list<process_event> events, bool colour = false) {
  captured_fd terminal;
  human_writer writer(terminal.fd, terminal.fd, colour);
  for (const auto& e : events) writer.write(e);
  return terminal.contents();
}

std::string h(const pid& p) {
  return "[" + p.to_string() + "]";
}

}  // namespace

TEST_CASE("human: status lines, header, indentation") {
  const pid top = human_test_pid(1), a = human_test_pid(2);
  using k = exit_status::kind;
  CHECK(shown({spawn_event{pid{}, top}, output_event{top, 1, "one\ntwo\n"}, spawn_event{top, a},
               output_event{a, 1, "x\n"}, exit_event{a, {k::code, 3}, {}},
               exit_event{top, {}, {}}}) ==
        h(top) + " started\n" + h(top) + "\n  one\n  two\n" + h(top) + " spawned: " +
            a.to_string() + "\n" + h(a) + "\n  x\n" + h(a) + " exited: 3\n" + h(top) + " exited\n");
  CHECK(shown({exit_event{a, {k::signal, 6}, "memory limit of 100 MiB exceeded"}}) ==
        h(a) + " exited: SIGABRT (memory limit of 100 MiB exceeded)\n");
}

TEST_CASE("human: output is forwarded as it comes, with a header only when the source changes") {
  const pid a = human_test_pid(1), b = human_test_pid(2);
  CHECK(shown({output_event{a, 1, "par"}, output_event{a, 1, "tial\nnext"},
               output_event{a, 1, " line\n"}, output_event{b, 1, "b\n"},
               output_event{a, 1, "a again\n"}, output_event{a, 1, ""}}) ==
        h(a) + "\n  partial\n  next line\n" + h(b) + "\n  b\n" + h(a) + "\n  a again\n");
}

TEST_CASE("human: a line cut short is ended before anything else is shown") {
  const pid a = human_test_pid(1), b = human_test_pid(2);
  CHECK(shown({output_event{a, 1, "no newline"}, output_event{b, 1, "b\n"},
               output_event{a, 1, "rest\n"}}) ==
        h(a) + "\n  no newline\n" + h(b) + "\n  b\n" + h(a) + "\n  rest\n");
  // The same process switching from stdout to stderr keeps its header but not the open line.
  CHECK(shown({output_event{a, 1, "out"}, output_event{a, 2, "err\n"}}) ==
        h(a) + "\n  out\n  err\n");
  CHECK(shown({output_event{a, 1, "last words"}, exit_event{a, {}, {}}}) ==
        h(a) + "\n  last words\n" + h(a) + " exited\n");
}

TEST_CASE("human: stdout and stderr bytes go to their own fds, headers and status to err_fd") {
  const pid a = human_test_pid(1);
  captured_fd out, err;
  human_writer writer(out.fd, err.fd, false);
  writer.write(spawn_event{pid{}, a});
  writer.write(output_event{a, 1, "to out"});
  writer.write(output_event{a, 2, "to err\n"});
  writer.write(exit_event{a, {exit_status::kind::code, 1}, {}});
  CHECK(out.contents() == "  to out\n");
  CHECK(err.contents() == h(a) + " started\n" + h(a) + "\n  to err\n" + h(a) + " exited: 1\n");
}

TEST_CASE("human: binary bytes pass through unchanged") {
  const pid a = human_test_pid(1);
  std::string bytes;
  for (int b = 0; b < 256; ++b) {
    if (b != '\n' && (b < 0x80 || b > 0xbf)) bytes += static_cast<char>(b);  // no UTF-8 tails
  }
  bytes += std::string("\0\n", 2);
  CHECK(shown({output_event{a, 1, bytes}}) == h(a) + "\n  " + bytes);
}

TEST_CASE("human: a UTF-8 character split across chunks is never cut by a header") {
  const pid a = human_test_pid(1), b = human_test_pid(2);
  // "é" is c3 a9; b's output arrives between the halves.
  CHECK(shown({output_event{a, 1, "caf\xc3"}, output_event{b, 1, "x\n"},
               output_event{a, 1, "\xa9\n"}}) ==
        h(a) + "\n  caf\n" + h(b) + "\n  x\n" + h(a) + "\n  \xc3\xa9\n");
  // A 4-byte character in four chunks, with a chunk that is only held bytes.
  CHECK(shown({output_event{a, 1, "\xf0"}, output_event{a, 1, "\x9f\x98"},
               output_event{a, 1, "\x80!\n"}}) == h(a) + "\n  \xf0\x9f\x98\x80!\n");
  // Held per stream: stderr's bytes do not complete stdout's character.
  CHECK(shown({output_event{a, 1, "\xc3"}, output_event{a, 2, "\xa9\n"},
               output_event{a, 1, "\xa9\n"}}) == h(a) + "\n  \xa9\n  \xc3\xa9\n");
}

TEST_CASE("human: held bytes are flushed as they are on eof or exit") {
  const pid a = human_test_pid(1);
  CHECK(shown({output_event{a, 1, "x\xe2\x82"}, eof_event{a, 1}}) == h(a) + "\n  x\xe2\x82");
  CHECK(shown({output_event{a, 2, "\xe2"}, exit_event{a, {}, {}}}) ==
        h(a) + "\n  \xe2\n" + h(a) + " exited\n");
}

TEST_CASE("human: colour only when enabled") {
  const pid top = human_test_pid(1);
  const std::initializer_list<process_event> events = {
      spawn_event{pid{}, top}, output_event{top, 1, "hi\n"},
      exit_event{top, {exit_status::kind::signal, 6}, {}}};
  const std::string plain = shown(events, false);
  CHECK(plain.find('\x1b') == std::string::npos);
  const std::string coloured = shown(events, true);
  CHECK(coloured.find("\x1b[1;31m" + h(top) + " exited: SIGABRT\x1b[0m\n") != std::string::npos);
  CHECK(coloured.find("m" + h(top) + "\x1b[0m\n  hi\n") != std::string::npos);
  CHECK(coloured.find("  hi\n") != std::string::npos);  // the process's bytes stay uncoloured
}

TEST_CASE("human: make_event_writer picks the format") {
  CHECK(parse_output_format("human") == output_format::human);
  CHECK(parse_output_format("json") == output_format::json);
  CHECK_FALSE(parse_output_format("JSON").has_value());
  const pid a = human_test_pid(1);
  captured_fd out, err;
  // A memfd is no terminal, so the human format is uncoloured.
  make_event_writer(output_format::human, out.fd, err.fd)->write(spawn_event{pid{}, a});
  CHECK(err.contents() == h(a) + " started\n");
  make_event_writer(output_format::json, out.fd, err.fd)->write(spawn_event{pid{}, a});
  CHECK(out.contents().starts_with(R"({"event":"spawn")"));
  CHECK(err.contents() == h(a) + " started\n");  // json writes nothing to err_fd
}

namespace {

std::string drawn(const std::vector<process_event>& events, bool draw_progress = true) {
  captured_fd terminal;  // not a tty: the width is the default 80
  human_writer writer(terminal.fd, terminal.fd, false, draw_progress);
  for (const auto& e : events) writer.write(e);
  return terminal.contents();
}

std::string up(int lines) {
  return "\x1b[" + std::to_string(lines) + "A\r\x1b[J";
}

progress_event progress(const pid& p, std::string text,
                        std::vector<std::pair<std::string, double>> figures = {}) {
  return {p, false, std::move(text), std::move(figures)};
}

}  // namespace

TEST_CASE("progress: drawn below the output, erased before more output, redrawn after") {
  const pid top = human_test_pid(1), a = human_test_pid(2);
  const std::string shown =
      drawn({spawn_event{pid{}, top}, progress(top, "sorting", {{"done", 3}, {"total", 10}}),
             output_event{top, 1, "line\n"}, spawn_event{top, a}, progress(a, "a's work"),
             progress(top, "merging"), progress_event{top, true, {}, {}}, exit_event{a, {}, {}}});
  const std::string top_line = h(top) + " sorting  done=3  total=10\n";
  CHECK(shown == h(top) + " started\n" + top_line +              // drawn
                     up(1) + h(top) + "\n  line\n" + top_line +  // output above it
                     up(1) + h(top) + " spawned: " + a.to_string() + "\n" + top_line + up(1) +
                     top_line + h(a) + " a's work\n" +                       // a second line
                     up(2) + h(top) + " merging\n" + h(a) + " a's work\n" +  // replaced in place
                     up(2) + h(a) + " a's work\n" +                          // top cleared
                     up(1) + h(a) + " exited\n");  // a's line goes with it
}

TEST_CASE("progress: an open output line is ended before the lines are drawn") {
  const pid top = human_test_pid(1);
  CHECK(drawn({progress(top, "busy"), output_event{top, 1, "partial"},
               output_event{top, 1, " rest\n"}}) == h(top) + " busy\n" + up(1) + h(top) +
                                                        "\n  partial\n" + h(top) + " busy\n" +
                                                        up(1) + "   rest\n" + h(top) + " busy\n");
}

TEST_CASE("progress: control characters cannot move the cursor, and a line is cut to the width") {
  const pid top = human_test_pid(1);
  CHECK(drawn({progress(top, "a\nb\x1b[2Jc")}) == h(top) + " a b [2Jc\n");
  const std::string wide = drawn({progress(top, std::string(200, 'x'))});
  CHECK(wide ==
        h(top) + " " + std::string(79 - 10, 'x') + "\n");  // 79 columns: the last stays free
}

TEST_CASE("progress: nothing of it without a terminal") {
  const pid top = human_test_pid(1);
  CHECK(drawn({spawn_event{pid{}, top}, progress(top, "sorting"), output_event{top, 1, "x\n"},
               progress_event{top, true, {}, {}}},
              /*draw_progress=*/false) == h(top) + " started\n" + h(top) + "\n  x\n");
}
