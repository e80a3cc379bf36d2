#include "wire/handshake.hpp"

#include <doctest/doctest.h>

#include <random>
#include <stdexcept>

#include "crypto/crypto.hpp"
#include "wire/frame.hpp"

using namespace constellation::wire;
using namespace constellation::crypto;

namespace {

const std::string secret = "0123456789abcdef0123456789abcdef-test-secret";
const std::string other_secret = "fedcba9876543210fedcba9876543210-other-secret";

std::uint8_t type_of(handshake_message m) {
  return static_cast<std::uint8_t>(m);
}

// Feeds bytes in chunks of chunk_size; checks that every byte of every chunk is taken until the
// handshake is over, and returns what it asked to send.
template <class Side>
std::string feed_in_chunks(Side& side, std::string_view bytes, std::size_t chunk_size) {
  std::string to_send;
  while (!bytes.empty()) {
    const auto chunk = bytes.substr(0, chunk_size);
    auto step = side.feed(chunk);
    REQUIRE(step.has_value());
    CHECK(step->consumed == chunk.size());
    to_send += step->to_send;
    bytes.remove_prefix(chunk.size());
  }
  return to_send;
}

std::string field(std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(value.size() & 0xff));
  out.push_back(static_cast<char>(value.size() >> 8));
  out.append(value);
  return out;
}

std::string frame_of(handshake_message type, std::string_view payload) {
  std::string out;
  append_frame(out, type_of(type), payload);
  return out;
}

std::string hello_payload(std::string_view purpose, std::string_view identity,
                          std::uint8_t version = handshake_version) {
  return std::string(1, static_cast<char>(version)) + field(purpose) + field(identity) +
         std::string(handshake_nonce_size, 'n');
}

// Restates the proof from the protocol description in handshake.hpp: it lets a test play a client
// that skips checking the server, and pins the wire format.
std::string forge_client_proof(std::string_view key, std::string_view purpose,
                               std::string_view hello_frame, std::string_view reply_frame) {
  const auto hello = decode_frame(hello_frame);
  const auto reply = decode_frame(reply_frame);
  REQUIRE((hello && *hello && reply && *reply));
  const auto reply_signed = (*reply)->payload.substr(0, (*reply)->payload.size() - 32);
  const std::string input = "constellation client" + field(purpose) +
                            std::string((*hello)->payload) + std::string(reply_signed);
  return frame_of(handshake_message::client_proof, hmac_sha256(key, input));
}

handshake_error server_error_for(std::string_view bytes, std::string purpose = "channel") {
  handshake_server server(secret, std::move(purpose), "server");
  auto step = server.feed(bytes);
  REQUIRE_FALSE(step.has_value());
  CHECK_FALSE(server.done());
  return step.error();
}

}  // namespace

TEST_CASE("handshake: both sides authenticate and learn each other's identity") {
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{100000}}) {
    CAPTURE(chunk);
    handshake_client client(secret, "channel", "client-pid-7");
    handshake_server server(secret, "channel", "node-a");
    const auto reply = feed_in_chunks(server, client.start(), chunk);
    CHECK_FALSE(server.done());
    CHECK(server.peer_identity().empty());
    const auto proof = feed_in_chunks(client, reply, chunk);
    REQUIRE(client.done());
    CHECK(client.peer_identity() == "node-a");
    CHECK(feed_in_chunks(server, proof, chunk).empty());
    REQUIRE(server.done());
    CHECK(server.peer_identity() == "client-pid-7");
  }
}

TEST_CASE("handshake: identities may be empty or binary, up to the bound") {
  const std::string binary("\0\xff\x01", 3);
  const std::string largest(max_identity_size, 'i');
  handshake_client client(secret, std::string(max_purpose_size, 'p'), binary);
  handshake_server server(secret, std::string(max_purpose_size, 'p'), largest);
  const auto reply = server.feed(client.start());
  REQUIRE(reply.has_value());
  const auto proof = client.feed(reply->to_send);
  REQUIRE(proof.has_value());
  REQUIRE(server.feed(proof->to_send).has_value());
  CHECK(server.peer_identity() == binary);
  CHECK(client.peer_identity() == largest);

  handshake_client anonymous(secret, "", "");
  handshake_server empty(secret, "", "");
  const auto r = empty.feed(anonymous.start());
  REQUIRE(r.has_value());
  REQUIRE(empty.feed(anonymous.feed(r->to_send)->to_send).has_value());
  CHECK(empty.done());
}

TEST_CASE("handshake: bytes after the handshake are left for the application") {
  handshake_client client(secret, "channel", "c");
  handshake_server server(secret, "channel", "s");
  const auto reply = server.feed(client.start());
  REQUIRE(reply.has_value());

  const auto proof = client.feed(reply->to_send + "early");
  REQUIRE(proof.has_value());
  CHECK(proof->consumed == reply->to_send.size());
  CHECK(client.feed("more").value().consumed == 0);

  std::string application;
  append_frame(application, 1, "first application frame");
  const auto last = server.feed(proof->to_send + application);
  REQUIRE(last.has_value());
  CHECK(server.done());
  CHECK(last->consumed == proof->to_send.size());
  CHECK(last->to_send.empty());
  const auto after = server.feed(application);
  REQUIRE(after.has_value());
  CHECK(after->consumed == 0);
}

TEST_CASE("handshake: bytes after the handshake are left when fed one at a time") {
  handshake_client client(secret, "channel", "c");
  handshake_server server(secret, "channel", "s");
  const auto reply = server.feed(client.start());
  const auto proof = client.feed(reply->to_send);
  const std::string stream = proof->to_send + "app";
  std::size_t taken = 0;
  for (char c : stream) taken += server.feed(std::string_view(&c, 1)).value().consumed;
  CHECK(server.done());
  CHECK(taken == proof->to_send.size());
}

TEST_CASE("handshake: a truncated message waits for the rest") {
  handshake_client client(secret, "channel", "c");
  handshake_server server(secret, "channel", "s");
  const auto hello = client.start();
  const auto first = server.feed(std::string_view(hello).substr(0, hello.size() - 1));
  REQUIRE(first.has_value());
  CHECK(first->consumed == hello.size() - 1);
  CHECK(first->to_send.empty());
  const auto rest = server.feed(std::string_view(hello).substr(hello.size() - 1));
  REQUIRE(rest.has_value());
  CHECK(rest->consumed == 1);
  CHECK_FALSE(rest->to_send.empty());

  // Only the 5-byte header: still waiting.
  handshake_client second(secret, "channel", "c");
  second.start();
  const auto partial = second.feed(std::string_view(rest->to_send).substr(0, 5));
  REQUIRE(partial.has_value());
  CHECK(partial->consumed == 5);
  CHECK_FALSE(second.done());
}

TEST_CASE("handshake: a wrong secret fails on both sides") {
  SUBCASE("the client refuses a server without the secret") {
    handshake_client client(secret, "channel", "c");
    handshake_server server(other_secret, "channel", "s");
    const auto reply = server.feed(client.start());
    REQUIRE(reply.has_value());
    const auto result = client.feed(reply->to_send);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == handshake_error::bad_proof);
    CHECK_FALSE(client.done());
    CHECK(client.peer_identity().empty());
    // A failed handshake stays failed.
    CHECK(client.feed(reply->to_send).error() == handshake_error::bad_proof);
  }
  SUBCASE("the server refuses a client without the secret") {
    handshake_client client(secret, "channel", "c");
    const auto hello = client.start();
    {
      // The forged proof is right when made with the server's secret: the forgery is faithful.
      handshake_server server(secret, "channel", "s");
      const auto reply = server.feed(hello);
      REQUIRE(server.feed(forge_client_proof(secret, "channel", hello, reply->to_send)));
      CHECK(server.done());
    }
    handshake_server server(secret, "channel", "s");
    const auto reply = server.feed(hello);
    REQUIRE(reply.has_value());
    const auto result =
        server.feed(forge_client_proof(other_secret, "channel", hello, reply->to_send));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == handshake_error::bad_proof);
    CHECK_FALSE(server.done());
    CHECK(server.peer_identity().empty());
    // Nothing after a failure authenticates the client.
    CHECK(server.feed(forge_client_proof(secret, "channel", hello, reply->to_send)).error() ==
          handshake_error::bad_proof);
    CHECK_FALSE(server.done());
  }
}

TEST_CASE("handshake: a wrong purpose fails") {
  handshake_client client(secret, "deploy", "c");
  CHECK(server_error_for(client.start(), "fabric") == handshake_error::wrong_purpose);

  // A reply made for another purpose does not convince a client: the purpose is under the proof.
  handshake_client fabric_client(secret, "fabric", "c");
  handshake_server fabric_server(secret, "fabric", "s");
  const auto reply = fabric_server.feed(fabric_client.start());
  REQUIRE(reply.has_value());
  handshake_client channel_client(secret, "channel", "c");
  channel_client.start();
  CHECK(channel_client.feed(reply->to_send).error() == handshake_error::bad_proof);
}

TEST_CASE("handshake: a replayed client proof fails against a fresh server") {
  handshake_client client(secret, "channel", "c");
  handshake_server server(secret, "channel", "s");
  const auto hello = client.start();
  const auto reply = server.feed(hello);
  const auto proof = client.feed(reply->to_send);
  REQUIRE(server.feed(proof->to_send).has_value());
  REQUIRE(server.done());

  // An eavesdropper replays the whole client side to a new server, which picks a new nonce.
  handshake_server fresh(secret, "channel", "s");
  REQUIRE(fresh.feed(hello).has_value());
  const auto replayed = fresh.feed(proof->to_send);
  REQUIRE_FALSE(replayed.has_value());
  CHECK(replayed.error() == handshake_error::bad_proof);
  CHECK_FALSE(fresh.done());
}

TEST_CASE("handshake: a server proof cannot be reflected as a client proof") {
  handshake_client client(secret, "channel", "c");
  handshake_server server(secret, "channel", "s");
  const auto reply = server.feed(client.start());
  const auto reply_frame = decode_frame(reply->to_send);
  const auto server_proof = (*reply_frame)->payload.substr((*reply_frame)->payload.size() - 32);
  const auto result = server.feed(frame_of(handshake_message::client_proof, server_proof));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error() == handshake_error::bad_proof);
}

TEST_CASE("handshake: garbage is refused with an error") {
  SUBCASE("a huge declared length, before any payload") {
    std::string bytes;
    append_frame_header(bytes, type_of(handshake_message::client_hello), 0xfffffffe);
    CHECK(server_error_for(bytes) == handshake_error::too_large);
    std::string just_over;
    append_frame_header(just_over, type_of(handshake_message::client_hello), 64 * 1024);
    CHECK(server_error_for(just_over) == handshake_error::too_large);
  }
  SUBCASE("a zero length") {
    CHECK(server_error_for(std::string(5, '\0')) == handshake_error::malformed);
  }
  SUBCASE("a frame of the wrong type") {
    CHECK(server_error_for(
              frame_of(handshake_message::client_proof, hello_payload("channel", "c"))) ==
          handshake_error::unexpected_message);
    std::string application;
    append_frame(application, 1, hello_payload("channel", "c"));
    CHECK(server_error_for(application) == handshake_error::unexpected_message);
    handshake_client client(secret, "channel", "c");
    client.start();
    CHECK(client.feed(frame_of(handshake_message::client_hello, hello_payload("channel", "s")))
              .error() == handshake_error::unexpected_message);
  }
  SUBCASE("a hand-made hello is accepted, so the cases below fail for their own reason") {
    handshake_server server(secret, "channel", "s");
    CHECK(server.feed(frame_of(handshake_message::client_hello, hello_payload("channel", "c"))));
  }
  SUBCASE("another version") {
    CHECK(server_error_for(
              frame_of(handshake_message::client_hello, hello_payload("channel", "c", 2))) ==
          handshake_error::wrong_version);
  }
  SUBCASE("an empty payload") {
    CHECK(server_error_for(frame_of(handshake_message::client_hello, "")) ==
          handshake_error::malformed);
  }
  SUBCASE("a length inside the payload that overruns it") {
    std::string payload = hello_payload("channel", "c");
    payload.resize(1 + 2 + 7 + 2);  // the identity's length says 1, but the payload ends there
    CHECK(server_error_for(frame_of(handshake_message::client_hello, payload)) ==
          handshake_error::malformed);
    std::string overrun(1, static_cast<char>(handshake_version));
    overrun += "\x40\x00short";  // a purpose of 64 bytes, 5 present
    CHECK(server_error_for(frame_of(handshake_message::client_hello, overrun)) ==
          handshake_error::malformed);
  }
  SUBCASE("a field beyond its bound") {
    CHECK(server_error_for(frame_of(handshake_message::client_hello,
                                    hello_payload(std::string(65, 'p'), "c"))) ==
          handshake_error::too_large);
    CHECK(server_error_for(frame_of(handshake_message::client_hello,
                                    hello_payload("channel", std::string(4097, 'i')))) ==
          handshake_error::too_large);
  }
  SUBCASE("a short nonce or trailing bytes") {
    auto payload = hello_payload("channel", "c");
    CHECK(server_error_for(
              frame_of(handshake_message::client_hello, payload.substr(0, payload.size() - 1))) ==
          handshake_error::malformed);
    CHECK(server_error_for(frame_of(handshake_message::client_hello, payload + "x")) ==
          handshake_error::malformed);
  }
  SUBCASE("a proof of the wrong size") {
    handshake_server server(secret, "channel", "s");
    REQUIRE(server.feed(frame_of(handshake_message::client_hello, hello_payload("channel", "c"))));
    CHECK(server.feed(frame_of(handshake_message::client_proof, std::string(31, 'x'))).error() ==
          handshake_error::malformed);
  }
  SUBCASE("a reply cut short") {
    handshake_client client(secret, "channel", "c");
    client.start();
    const std::string reply = std::string(1, static_cast<char>(handshake_version)) + field("s");
    CHECK(client.feed(frame_of(handshake_message::server_reply, reply)).error() ==
          handshake_error::malformed);
  }
}

TEST_CASE("handshake: random and mutated input never crashes or over-reads") {
  std::mt19937 random(12345);
  const auto random_string = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(random());
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    const auto input = random_string(random() % 200);
    handshake_server server(secret, "channel", "s");
    if (const auto step = server.feed(input)) CHECK(step->consumed <= input.size());
    CHECK_FALSE(server.done());
  }
  handshake_client client(secret, "channel", "c");
  const auto hello = client.start();
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = hello;
    for (int flips = 1 + static_cast<int>(random() % 3); flips > 0; --flips)
      mutated[random() % mutated.size()] = static_cast<char>(random());
    mutated.resize(random() % (mutated.size() + 1));
    handshake_server server(secret, "channel", "s");
    if (const auto step = server.feed(mutated)) CHECK(step->consumed <= mutated.size());
    CHECK_FALSE(server.done());
  }
}

TEST_CASE("handshake: misuse fails at once") {
  CHECK_THROWS_AS(handshake_client("short", "channel", "c"), std::invalid_argument);
  CHECK_THROWS_AS(handshake_server(secret, std::string(65, 'p'), "s"), std::invalid_argument);
  CHECK_THROWS_AS(handshake_server(secret, "channel", std::string(4097, 'i')),
                  std::invalid_argument);
  handshake_client client(secret, "channel", "c");
  CHECK_THROWS_AS(client.feed("x"), std::logic_error);
  client.start();
  CHECK_THROWS_AS(client.start(), std::logic_error);
}

TEST_CASE("crypto: hmac_sha256 matches RFC 4231 test case 2, random_bytes differ") {
  const auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  static const char hex[] = "0123456789abcdef";
  std::string text;
  for (unsigned char c : mac) text += {hex[c >> 4], hex[c & 15]};
  CHECK(text == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(random_bytes(32).size() == 32);
  CHECK(random_bytes(32) != random_bytes(32));
  CHECK(random_bytes(0).empty());
}
