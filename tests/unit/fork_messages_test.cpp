#include "wire/fork_messages.hpp"
#include "agent/monitor_starter.hpp"
#include "process/descriptor_passing.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

using namespace constellation;

TEST_CASE("fork messages: a request and both answers survive a round trip") {
  const auto request = wire::encode_message(wire::fork_request{
      7, static_cast<std::uint8_t>(wire::fork_slot_bit(wire::fork_slot::spec) |
                                   wire::fork_slot_bit(wire::fork_slot::stdin_fd))});
  auto frame = wire::decode_frame(request);
  REQUIRE(frame.has_value());
  REQUIRE(frame->has_value());
  CHECK((*frame)->type == static_cast<std::uint8_t>(wire::fork_message::request));
  auto decoded = wire::decode_message<wire::fork_request>((*frame)->payload);
  REQUIRE(decoded.has_value());
  CHECK(decoded->request_id == 7);
  CHECK(decoded->attached == 0b10001);

  auto forked = wire::decode_message<wire::forked>(
      (*wire::decode_frame(wire::encode_message(wire::forked{9, 1234})).value()).payload);
  REQUIRE(forked.has_value());
  CHECK(forked->request_id == 9);
  CHECK(forked->os_pid == 1234);

  auto refused = wire::decode_message<wire::fork_refused>(
      (*wire::decode_frame(wire::encode_message(wire::fork_refused{3, "fork: no memory"})).value())
          .payload);
  REQUIRE(refused.has_value());
  CHECK(refused->message == "fork: no memory");
}

TEST_CASE("fork messages: a truncated request does not decode") {
  const auto bytes = wire::encode_message(wire::fork_request{7, 1});
  auto frame = wire::decode_frame(std::string_view(bytes).substr(0, bytes.size() - 1));
  REQUIRE(frame.has_value());
  CHECK_FALSE(frame->has_value());
}

TEST_CASE("descriptor passing: a record and its descriptors arrive together, one record per call") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
  posix::unique_fd a(pair[0]), b(pair[1]);
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  posix::unique_fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  const int handed[] = {write_end.get()};
  REQUIRE(process::send_record(a.get(), "first", handed) == 0);
  REQUIRE(process::send_record(a.get(), "second", {}) == 0);

  auto first = process::receive_record(b.get(), 64);
  REQUIRE(first.has_value());
  REQUIRE(first->has_value());
  CHECK((*first)->bytes == "first");
  CHECK_FALSE((*first)->truncated);
  REQUIRE((*first)->fds.size() == 1);
  CHECK((::fcntl((*first)->fds[0].get(), F_GETFD) & FD_CLOEXEC) != 0);
  // The received descriptor is the pipe's write end: what goes in comes out of the read end.
  REQUIRE(::write((*first)->fds[0].get(), "x", 1) == 1);
  char c = 0;
  REQUIRE(::read(read_end.get(), &c, 1) == 1);
  CHECK(c == 'x');

  auto second = process::receive_record(b.get(), 64);
  REQUIRE(second.has_value());
  REQUIRE(second->has_value());
  CHECK((*second)->bytes == "second");
  CHECK((*second)->fds.empty());

  auto nothing = process::receive_record(b.get(), 64, true);
  REQUIRE_FALSE(nothing.has_value());
  CHECK(nothing.error() == EAGAIN);

  a.reset();
  auto end = process::receive_record(b.get(), 64);
  REQUIRE(end.has_value());
  CHECK_FALSE(end->has_value());
}

TEST_CASE("descriptor passing: a record larger than the buffer is marked truncated") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
  posix::unique_fd a(pair[0]), b(pair[1]);
  REQUIRE(process::send_record(a.get(), std::string(100, 'z'), {}) == 0);
  auto got = process::receive_record(b.get(), 10);
  REQUIRE(got.has_value());
  REQUIRE(got->has_value());
  CHECK((*got)->truncated);
}

TEST_CASE("spawn method: CONSTELLATION_SPAWN is read from a job's environment") {
  using agent::spawn_method;
  CHECK(agent::parse_spawn_method("fork") == spawn_method::fork_server);
  CHECK(agent::parse_spawn_method("exec") == spawn_method::exec);
  CHECK_FALSE(agent::parse_spawn_method("Exec").has_value());
  CHECK(agent::spawn_method_of({"PATH=/bin", "CONSTELLATION_SPAWN=exec"}) == spawn_method::exec);
  CHECK(agent::spawn_method_of({"CONSTELLATION_SPAWN=fork"}) == spawn_method::fork_server);
  CHECK(agent::spawn_method_of({"CONSTELLATION_SPAWNS=exec"}) == spawn_method::fork_server);
  CHECK(agent::spawn_method_of({}) == spawn_method::fork_server);
}

// What monitor_starter relies on when a fork server dies: a socket closed with records unread
// makes its peer's next receive fail with ECONNRESET once, before the records queued for the peer,
// which are read after it; only then comes end of file.
TEST_CASE(
    "descriptor passing: a peer closed with unread records resets once, then the queued records "
    "arrive") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
  posix::unique_fd agent(pair[0]), server(pair[1]);
  REQUIRE(process::send_record(server.get(), "acknowledged", {}) == 0);
  REQUIRE(process::send_record(agent.get(), "never read", {}) == 0);
  server.reset();

  std::vector<std::string> seen;
  int resets = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto got = process::receive_record(agent.get(), 64, true);
    if (!got && got.error() == ECONNRESET) {
      ++resets;
      continue;
    }
    REQUIRE(got.has_value());
    if (!*got) break;  // end of file
    seen.push_back((*got)->bytes);
  }
  CHECK(resets <= 1);
  CHECK(seen == std::vector<std::string>{"acknowledged"});
}
