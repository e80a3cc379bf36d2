#include "wire/handshake.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "crypto/crypto.hpp"
#include "wire/frame.hpp"

namespace constellation::wire {
namespace {

constexpr std::string_view server_label = "constellation server";
constexpr std::string_view client_label = "constellation client";
// The largest message of the protocol, a hello with every field at its bound, plus a proof; a
// frame that declares more is refused from its header, before its payload is buffered.
constexpr std::size_t max_handshake_payload = 1 + 2 + max_purpose_size + 2 + max_identity_size +
                                              handshake_nonce_size + crypto::hmac_sha256_size;

void check_arguments(const std::string& secret, const std::string& purpose,
                     const std::string& identity, const char* who) {
  const auto fail = [&](const char* what) {
    throw std::invalid_argument(std::string(who) + ": " + what);
  };
  if (secret.size() < crypto::min_secret_size) fail("the secret must be at least 32 bytes");
  if (purpose.size() > max_purpose_size) fail("the purpose must be at most 64 bytes");
  if (identity.size() > max_identity_size) fail("the identity must be at most 4096 bytes");
}

void append_field(std::string& out, std::string_view value) {
  out.push_back(static_cast<char>(value.size() & 0xff));
  out.push_back(static_cast<char>((value.size() >> 8) & 0xff));
  out.append(value);
}

std::string make_proof(std::string_view secret, std::string_view label, std::string_view purpose,
                       std::string_view transcript) {
  std::string input(label);
  append_field(input, purpose);
  input.append(transcript);
  return crypto::hmac_sha256(secret, input);
}

// Reads a payload field by field. The first failure sticks and later reads return empty views,
// so a parser reads every field and checks once, and never reads past the payload.
class payload_reader {
 public:
  explicit payload_reader(std::string_view payload) : rest_(payload) {}

  std::string_view bytes(std::size_t n) {
    if (error_) return {};
    if (rest_.size() < n) return fail(handshake_error::malformed);
    const auto value = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return value;
  }
  std::string_view field(std::size_t max_size) {
    const auto length = bytes(2);
    if (error_) return {};
    const std::size_t size = static_cast<unsigned char>(length[0]) |
                             static_cast<std::size_t>(static_cast<unsigned char>(length[1])) << 8;
    if (size > max_size) return fail(handshake_error::too_large);
    return bytes(size);
  }
  std::size_t remaining() const { return rest_.size(); }
  // The first error, or malformed if bytes are left over: every message has an exact layout.
  std::optional<handshake_error> finish() const {
    if (!error_ && !rest_.empty()) return handshake_error::malformed;
    return error_;
  }

 private:
  std::string_view fail(handshake_error e) {
    error_ = e;
    return {};
  }
  std::string_view rest_;
  std::optional<handshake_error> error_;
};

// Reads and checks the version byte that opens hello and reply. It comes first so that a peer of
// another version is told so, rather than that its message is malformed.
std::expected<void, handshake_error> read_version(payload_reader& reader) {
  const auto version = reader.bytes(1);
  if (version.empty()) return std::unexpected(handshake_error::malformed);
  if (static_cast<std::uint8_t>(version[0]) != handshake_version)
    return std::unexpected(handshake_error::wrong_version);
  return {};
}

// Moves bytes from input into pending until pending holds one whole frame, which it returns;
// nullopt when input ran out first. Takes only what the frame still needs, so whatever follows
// the frame stays in input for the caller.
std::expected<std::optional<frame>, handshake_error> collect_frame(std::string& pending,
                                                                   std::string_view& input) {
  for (;;) {
    const auto decoded = decode_frame(pending, max_handshake_payload);
    if (!decoded) {
      return std::unexpected(decoded.error() == frame_error::too_large
                                 ? handshake_error::too_large
                                 : handshake_error::malformed);
    }
    if (*decoded || input.empty()) return *decoded;
    std::size_t needed = frame_header_size - std::min(pending.size(), frame_header_size);
    if (needed == 0) {
      // The header is in and decode_frame has bounded its length.
      const auto byte = [&](std::size_t i) {
        return static_cast<std::size_t>(static_cast<unsigned char>(pending[i]));
      };
      needed = 4 + (byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24) - pending.size();
    }
    const auto n = std::min(needed, input.size());
    pending.append(input.substr(0, n));
    input.remove_prefix(n);
  }
}

// Hands each whole frame of input to on_frame, which returns whether it expects another; returns
// how many bytes of input were taken.
template <class OnFrame>
std::expected<std::size_t, handshake_error> take_frames(std::string& pending,
                                                        std::string_view input, OnFrame on_frame) {
  const auto size = input.size();
  for (bool more = true; more;) {
    const auto collected = collect_frame(pending, input);
    if (!collected) return std::unexpected(collected.error());
    if (!*collected) break;
    const std::expected<bool, handshake_error> result = on_frame(**collected);
    pending.clear();  // the frame's payload pointed into it
    if (!result) return std::unexpected(result.error());
    more = *result;
  }
  return size - input.size();
}

}  // namespace

const char* to_string(handshake_error e) {
  switch (e) {
    case handshake_error::malformed:
      return "malformed handshake message";
    case handshake_error::wrong_version:
      return "peer speaks another handshake version";
    case handshake_error::wrong_purpose:
      return "peer connected for another purpose";
    case handshake_error::bad_proof:
      return "peer does not know the shared secret";
    case handshake_error::unexpected_message:
      return "unexpected handshake message";
    case handshake_error::too_large:
      return "handshake message or field too large";
  }
  return "unknown handshake error";
}

// --- client ---

handshake_client::handshake_client(std::string secret, std::string purpose, std::string identity)
    : secret_(std::move(secret)), purpose_(std::move(purpose)), identity_(std::move(identity)) {
  check_arguments(secret_, purpose_, identity_, "handshake_client");
}

std::string handshake_client::start() {
  if (state_ != state::idle) throw std::logic_error("handshake_client::start called twice");
  hello_payload_.push_back(static_cast<char>(handshake_version));
  append_field(hello_payload_, purpose_);
  append_field(hello_payload_, identity_);
  hello_payload_.append(crypto::random_bytes(handshake_nonce_size));
  std::string out;
  append_frame(out, static_cast<std::uint8_t>(handshake_message::client_hello), hello_payload_);
  state_ = state::awaiting_reply;
  return out;
}

std::expected<handshake_step, handshake_error> handshake_client::feed(std::string_view received) {
  if (state_ == state::idle) throw std::logic_error("handshake_client::feed before start");
  if (state_ == state::failed) return std::unexpected(error_);
  if (state_ == state::done) return handshake_step{};
  handshake_step step;
  const auto consumed =
      take_frames(pending_, received, [&](const frame& f) -> std::expected<bool, handshake_error> {
        if (auto r = on_reply(f.type, f.payload, step.to_send); !r)
          return std::unexpected(r.error());
        return false;
      });
  if (!consumed) {
    state_ = state::failed;
    error_ = consumed.error();
    pending_.clear();
    return std::unexpected(error_);
  }
  step.consumed = *consumed;
  return step;
}

std::expected<void, handshake_error> handshake_client::on_reply(std::uint8_t type,
                                                                std::string_view payload,
                                                                std::string& to_send) {
  if (type != static_cast<std::uint8_t>(handshake_message::server_reply))
    return std::unexpected(handshake_error::unexpected_message);
  payload_reader reader(payload);
  if (auto v = read_version(reader); !v) return v;
  const auto identity = reader.field(max_identity_size);
  reader.bytes(handshake_nonce_size);
  const auto signed_size = payload.size() - reader.remaining();
  const auto proof = reader.bytes(crypto::hmac_sha256_size);
  if (const auto e = reader.finish()) return std::unexpected(*e);

  const std::string transcript = hello_payload_ + std::string(payload.substr(0, signed_size));
  if (!crypto::constant_time_equal(proof, make_proof(secret_, server_label, purpose_, transcript)))
    return std::unexpected(handshake_error::bad_proof);
  append_frame(to_send, static_cast<std::uint8_t>(handshake_message::client_proof),
               make_proof(secret_, client_label, purpose_, transcript));
  peer_identity_ = identity;
  state_ = state::done;
  return {};
}

// --- server ---

handshake_server::handshake_server(std::string secret, std::string purpose, std::string identity)
    : handshake_server(std::move(secret), std::vector<std::string>{std::move(purpose)},
                       std::move(identity)) {}

handshake_server::handshake_server(std::string secret, std::vector<std::string> purposes,
                                   std::string identity)
    : secret_(std::move(secret)),
      accepted_purposes_(std::move(purposes)),
      identity_(std::move(identity)) {
  if (accepted_purposes_.empty())
    throw std::invalid_argument("handshake_server: no purpose to accept");
  for (const auto& p : accepted_purposes_)
    check_arguments(secret_, p, identity_, "handshake_server");
}

std::expected<handshake_step, handshake_error> handshake_server::feed(std::string_view received) {
  if (state_ == state::failed) return std::unexpected(error_);
  if (state_ == state::done) return handshake_step{};
  handshake_step step;
  const auto consumed =
      take_frames(pending_, received, [&](const frame& f) -> std::expected<bool, handshake_error> {
        if (state_ == state::awaiting_hello) {
          if (auto r = on_hello(f.type, f.payload, step.to_send); !r)
            return std::unexpected(r.error());
          return true;
        }
        if (auto r = on_proof(f.type, f.payload); !r) return std::unexpected(r.error());
        return false;
      });
  if (!consumed) {
    state_ = state::failed;
    error_ = consumed.error();
    pending_.clear();
    return std::unexpected(error_);
  }
  step.consumed = *consumed;
  return step;
}

std::expected<void, handshake_error> handshake_server::on_hello(std::uint8_t type,
                                                                std::string_view payload,
                                                                std::string& to_send) {
  if (type != static_cast<std::uint8_t>(handshake_message::client_hello))
    return std::unexpected(handshake_error::unexpected_message);
  payload_reader reader(payload);
  if (auto v = read_version(reader); !v) return v;
  const auto purpose = reader.field(max_purpose_size);
  const auto identity = reader.field(max_identity_size);
  reader.bytes(handshake_nonce_size);
  if (const auto e = reader.finish()) return std::unexpected(*e);
  if (std::find(accepted_purposes_.begin(), accepted_purposes_.end(), purpose) ==
      accepted_purposes_.end())
    return std::unexpected(handshake_error::wrong_purpose);
  purpose_ = std::string(purpose);

  std::string reply;
  reply.push_back(static_cast<char>(handshake_version));
  append_field(reply, identity_);
  reply.append(crypto::random_bytes(handshake_nonce_size));
  transcript_ = std::string(payload) + reply;
  reply.append(make_proof(secret_, server_label, purpose_, transcript_));
  append_frame(to_send, static_cast<std::uint8_t>(handshake_message::server_reply), reply);
  claimed_identity_ = identity;
  state_ = state::awaiting_proof;
  return {};
}

std::expected<void, handshake_error> handshake_server::on_proof(std::uint8_t type,
                                                                std::string_view payload) {
  if (type != static_cast<std::uint8_t>(handshake_message::client_proof))
    return std::unexpected(handshake_error::unexpected_message);
  if (payload.size() != crypto::hmac_sha256_size)
    return std::unexpected(handshake_error::malformed);
  if (!crypto::constant_time_equal(payload,
                                   make_proof(secret_, client_label, purpose_, transcript_)))
    return std::unexpected(handshake_error::bad_proof);
  peer_identity_ = std::move(claimed_identity_);
  state_ = state::done;
  return {};
}

}  // namespace constellation::wire
