#pragma once
// What the message harnesses share: the input is a byte stream as a peer would send it, cut into
// frames by wire::decode_frame; each frame's payload is decoded as the message its type names, as
// the daemons and the agent do on receipt. A message that decodes must encode back to bytes that
// decode to the same encoding, or a field is read differently from how it is written.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/frame.hpp"
#include "wire/messages.hpp"

namespace constellation::fuzz {

template <class Message>
void decode_and_check(std::string_view payload) {
  const auto decoded = wire::decode_message<Message>(payload);
  if (!decoded) return;  // refused with a message: what a daemon logs before closing the link
  const std::string encoded = detail::serialize_value(*decoded);
  const auto again = wire::decode_message<Message>(encoded);
  if (!again || detail::serialize_value(*again) != encoded) {
    std::fprintf(stderr, "a decoded message does not survive encoding and decoding again\n");
    std::abort();
  }
}

// Decodes a frame whose type is one of Messages'; a frame of another type is skipped, as the
// receivers refuse it before decoding.
template <class... Messages>
void decode_frame_payload(const wire::frame& f) {
  ((f.type == static_cast<std::uint8_t>(Messages::type) ? decode_and_check<Messages>(f.payload)
                                                        : void()),
   ...);
}

template <class... Messages>
void decode_stream(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (;;) {
    const auto f = wire::decode_frame(rest);
    if (!f || !*f) return;  // a bad header closes the connection; a partial frame waits for more
    decode_frame_payload<Messages...>(**f);
    rest.remove_prefix((*f)->size);
  }
}

}  // namespace constellation::fuzz
