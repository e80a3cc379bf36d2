#pragma once
// Mutual authentication of a fresh connection by a shared secret, as two sans-IO state machines:
// bytes in, bytes out, no sockets. Every connection between constellation processes and daemons
// runs it before anything else is accepted. The secret never travels; each side proves it knows
// the secret by an HMAC-SHA256 over a transcript that holds a fresh nonce from the other side, so a
// recorded proof is worthless in a later session.
//
// Three messages, each one frame (wire/frame.hpp). Strings are `u16 length (LE) | bytes`:
//   client_hello (0xc1): u8 version | purpose | client identity | client nonce (32 bytes)
//   server_reply (0xc2): u8 version | server identity | server nonce (32 bytes) | server proof
//   client_proof (0xc3): client proof
// where, with transcript = client_hello payload | server_reply payload without the proof,
//   server proof = HMAC-SHA256(secret, "constellation server" | purpose | transcript)
//   client proof = HMAC-SHA256(secret, "constellation client" | purpose | transcript)
// The distinct labels keep a proof from being reflected back as the other side's. Purpose and
// version travel in clear so a mismatch gets a precise error; they are under both proofs anyway.
//
// What it does not do: the connection is not encrypted and no session key comes out of it, so an
// attacker who can rewrite traffic on the path can still take over a connection after the
// handshake. It keeps out whoever does not hold the secret.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::wire {

inline constexpr std::uint8_t handshake_version = 1;
inline constexpr std::size_t handshake_nonce_size = 32;
inline constexpr std::size_t max_purpose_size = 64;
inline constexpr std::size_t max_identity_size = 4096;

// Frame types of the three messages; high values keep them apart from application frame types.
enum class handshake_message : std::uint8_t {
  client_hello = 0xc1,
  server_reply = 0xc2,
  client_proof = 0xc3,
};

enum class handshake_error {
  malformed,           // a frame or field that does not parse
  wrong_version,       // the peer speaks another protocol version
  wrong_purpose,       // the client wants another service (e.g. "deploy" against "fabric")
  bad_proof,           // the peer does not know the secret, or replays an old session
  unexpected_message,  // a frame type that is not the one this step expects
  too_large,           // a frame or field beyond the protocol's bounds
};
const char* to_string(handshake_error e);

// What one call to feed did: how many of the received bytes it took, and what to send back.
// Bytes after `consumed` are not the handshake's: they are the application's first bytes.
struct handshake_step {
  std::size_t consumed = 0;
  std::string to_send;
};

// The side that opens the connection: start(), send its bytes, then feed what arrives.
// done() means the server proved it knows the secret and the client's proof is in the last
// to_send; the server may still refuse that proof, which the client sees as the connection closing.
class handshake_client {
 public:
  // secret: at least min_secret_size bytes; purpose: at most max_purpose_size bytes; identity:
  // opaque bytes for the peer, at most max_identity_size. Throws std::invalid_argument otherwise.
  handshake_client(std::string secret, std::string purpose, std::string identity);

  // The client_hello frame to send first. Throws std::logic_error if called twice.
  std::string start();

  // Takes received bytes in any chunking. Partial frames are kept inside, so the caller never
  // needs to hand the same bytes twice; it never takes a byte past the end of the handshake.
  // After an error the connection must be closed; later calls return the same error. Once done(),
  // takes nothing. Throws std::logic_error if called before start().
  std::expected<handshake_step, handshake_error> feed(std::string_view received);

  bool done() const { return state_ == state::done; }
  // The server's identity; empty until done().
  const std::string& peer_identity() const { return peer_identity_; }

 private:
  enum class state { idle, awaiting_reply, done, failed };
  std::expected<void, handshake_error> on_reply(std::uint8_t type, std::string_view payload,
                                                std::string& to_send);

  std::string secret_;
  std::string purpose_;
  std::string identity_;
  std::string hello_payload_;  // the first part of the transcript
  std::string pending_;        // a frame received in part
  std::string peer_identity_;
  state state_ = state::idle;
  handshake_error error_ = handshake_error::malformed;  // meaningful when state_ is failed
};

// The side that accepts the connection: feed what arrives and send what feed returns. It speaks
// only after the client's hello. Only done() means the client is authenticated.
class handshake_server {
 public:
  // Same contract as handshake_client's constructor.
  handshake_server(std::string secret, std::string purpose, std::string identity);
  // A server on one port for several kinds of client: any of purposes is accepted, and purpose()
  // says which the client proved.
  handshake_server(std::string secret, std::vector<std::string> purposes, std::string identity);
  const std::string& purpose() const { return purpose_; }

  // Same contract as handshake_client::feed; the first call needs no start().
  std::expected<handshake_step, handshake_error> feed(std::string_view received);

  bool done() const { return state_ == state::done; }
  // The client's identity; empty until done(), since it is unproven before that.
  const std::string& peer_identity() const { return peer_identity_; }

 private:
  enum class state { awaiting_hello, awaiting_proof, done, failed };
  std::expected<void, handshake_error> on_hello(std::uint8_t type, std::string_view payload,
                                                std::string& to_send);
  std::expected<void, handshake_error> on_proof(std::uint8_t type, std::string_view payload);

  std::string secret_;
  std::vector<std::string> accepted_purposes_;
  std::string purpose_;  // the one the client asked for, once its hello arrived
  std::string identity_;
  std::string transcript_;        // hello and reply payloads, the proof left out
  std::string claimed_identity_;  // from the hello; becomes peer_identity_ once proven
  std::string pending_;
  std::string peer_identity_;
  state state_ = state::awaiting_hello;
  handshake_error error_ = handshake_error::malformed;
};

}  // namespace constellation::wire
