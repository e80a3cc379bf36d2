#include "stdin_forwarder.hpp"
#include "posix/unique_fd.hpp"

#include "temporary_directory.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <thread>

using namespace constellation::deploy;
using cluster_cli_test::temporary_directory;
using constellation::posix::unique_fd;

namespace {

struct forwarded {
  std::string bytes;
  std::optional<std::string> end;  // the problem, empty at end of file
};

forwarded forward_all(int fd) {
  boost::asio::io_context io;
  forwarded out;
  auto f = forward_stdin(
      io, fd, [&](std::string b) { out.bytes += b; }, [&](const std::string& p) { out.end = p; });
  io.run();
  return out;
}

}  // namespace

TEST_CASE("stdin from a pipe is forwarded as it comes, then its end") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const unique_fd read_end(p[0]);
  const std::string big(300 * 1024, 'x');
  std::thread writer([&big, write_end = unique_fd(p[1])]() mutable {
    (void)!::write(write_end.get(), "first\n", 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string_view rest = big;
    while (!rest.empty()) {
      const auto n = ::write(write_end.get(), rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    write_end.reset();
  });
  const auto out = forward_all(read_end.get());
  writer.join();
  CHECK(out.bytes == "first\n" + big);
  CHECK(out.end == "");
  // Our own descriptor was made non-blocking, not the pipe we were given.
  CHECK((::fcntl(read_end.get(), F_GETFL) & O_NONBLOCK) == 0);
}

TEST_CASE("stdin from a regular file, /dev/null or nothing") {
  temporary_directory tmp;
  const std::string path = tmp.path() + "/input";
  std::string content(200 * 1024, 'y');
  content += "end";
  std::ofstream(path) << content;
  auto from_file = forward_all(unique_fd(::open(path.c_str(), O_RDONLY)).get());
  CHECK(from_file.bytes == content);
  CHECK(from_file.end == "");

  auto from_null = forward_all(unique_fd(::open("/dev/null", O_RDONLY)).get());
  CHECK(from_null.bytes.empty());
  CHECK(from_null.end == "");

  auto from_closed = forward_all(999);
  CHECK(from_closed.bytes.empty());
  CHECK(from_closed.end == "");
}

TEST_CASE("a stopped forwarder calls nobody") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  unique_fd read_end(p[0]), write_end(p[1]);
  boost::asio::io_context io;
  bool called = false;
  auto f = forward_stdin(
      io, read_end.get(), [&](std::string) { called = true; },
      [&](const std::string&) { called = true; });
  f->stop();
  (void)!::write(write_end.get(), "x", 1);
  write_end.reset();
  io.run_for(std::chrono::milliseconds(100));
  CHECK_FALSE(called);
}

TEST_CASE("a paused forwarder reads nothing more until resumed, from a file or a pipe") {
  temporary_directory tmp;
  const std::string path = tmp.path() + "/input";
  std::ofstream(path) << std::string(3 * stdin_chunk, 'z');
  const unique_fd file(::open(path.c_str(), O_RDONLY));
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const unique_fd read_end(p[0]), write_end(p[1]);
  const std::string some(8 * 1024, 'p');  // well within a pipe's buffer
  (void)!::write(write_end.get(), some.data(), some.size());

  for (const int fd : {file.get(), read_end.get()}) {
    CAPTURE(fd == file.get() ? "file" : "pipe");
    boost::asio::io_context io;
    forwarded out;
    std::shared_ptr<stdin_forwarder> f;
    f = forward_stdin(
        io, fd,
        [&](std::string b) {
          out.bytes += b;
          f->pause();
        },
        [&](const std::string& problem) { out.end = problem; });
    // Paused after its first chunk, it asks for nothing more: the loop runs out of work.
    io.run();
    CHECK(!out.bytes.empty());
    CHECK(out.bytes.size() <= stdin_chunk);
    CHECK(!out.end);
    const auto first = out.bytes.size();
    if (fd == read_end.get()) (void)!::write(write_end.get(), some.data(), some.size());
    f->resume();
    io.restart();
    io.run_one();
    CHECK(out.bytes.size() > first);
    f->stop();
  }
}
