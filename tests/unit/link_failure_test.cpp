#include "cluster/link_failure.hpp"

#include <doctest/doctest.h>

using namespace constellation;
using cause = cluster::link_failure::cause;

TEST_CASE("a link failure's text says its cause, then its particulars") {
  CHECK(cluster::link_failure{cause::cannot_connect, "Connection refused"}.text() ==
        "cannot connect: Connection refused");
  CHECK(cluster::link_failure{cause::closed_by_peer}.text() ==
        "closed by the peer during the handshake");
  CHECK(cluster::link_failure{cause::lost, "Connection reset by peer"}.text() ==
        "connection lost during the handshake: Connection reset by peer");
  CHECK(cluster::link_failure{cause::timed_out, "not done within 10 s"}.text() ==
        "the handshake timed out: not done within 10 s");
}

TEST_CASE("a refused handshake keeps the handshake's error for code and its words for people") {
  const auto failure = cluster::refused_handshake(wire::handshake_error::wrong_purpose);
  CHECK(failure.why == cause::refused);
  CHECK(failure.refusal == wire::handshake_error::wrong_purpose);
  CHECK(failure.text() == "handshake refused: peer connected for another purpose");
}
