// The daemons' framed connection, on a socket pair: a pause in reading holds frames back, and the
// peer's end with them, until the reading resumes; a send's handler runs once it is written.
#include "agent/frame_connection.hpp"
#include "posix/unique_fd.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

using namespace constellation;
namespace asio = boost::asio;

namespace {

std::shared_ptr<agent::frame_connection> connection_on(asio::io_context& io, int fd) {
  return std::make_shared<agent::frame_connection>(agent::frame_connection::socket_type(
      io, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd));
}

}  // namespace

TEST_CASE("a paused connection hands over nothing more, nor the peer's end, until resumed") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  asio::io_context io;
  auto c = connection_on(io, fds[0]);
  posix::unique_fd peer(fds[1]);
  std::string frames;
  for (std::uint8_t type : {1, 2, 3})
    wire::append_frame(frames, type, std::string(100, char('a' + type)));
  REQUIRE(::write(peer.get(), frames.data(), frames.size()) == static_cast<ssize_t>(frames.size()));
  peer.reset();  // the peer's end, after its frames

  std::vector<std::uint8_t> handed;
  std::optional<agent::connection_end> closed;
  c->start(
      [&](std::uint8_t type, std::string_view payload) {
        handed.push_back(type);
        CHECK(payload == std::string(100, char('a' + type)));
        if (type == 1) c->pause_reading();
      },
      [&](const agent::connection_end& end) { closed = end; });
  io.run();
  CHECK(handed == std::vector<std::uint8_t>{1});
  CHECK(!closed);

  c->resume_reading();
  io.restart();
  io.run();
  CHECK(handed == std::vector<std::uint8_t>{1, 2, 3});
  REQUIRE(closed);
  CHECK(closed->why == agent::connection_end::cause::peer_closed);
  CHECK(closed->text == "closed by the peer");
}

TEST_CASE("a send's handler runs once its bytes are written, and what waits is counted") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  asio::io_context io;
  auto c = connection_on(io, fds[0]);
  const posix::unique_fd peer(fds[1]);
  c->start([](std::uint8_t, std::string_view) {}, [](const agent::connection_end&) {});
  int written = 0;
  std::string frame;
  wire::append_frame(frame, 7, "hello");
  c->send(frame, [&] { ++written; });
  c->send(frame, [&] { ++written; });
  CHECK(c->queued_bytes() <= 2 * frame.size());
  io.run_for(std::chrono::milliseconds(200));
  CHECK(written == 2);
  CHECK(c->queued_bytes() == 0);
  std::string received(2 * frame.size(), '\0');
  CHECK(::read(peer.get(), received.data(), received.size()) ==
        static_cast<ssize_t>(received.size()));
  CHECK(received == frame + frame);
  c->close();
}
