#pragma once
// The frames two processes exchange on a channel connection once the handshake succeeded.
// Plain functions over byte buffers: no sockets here.
//
//   type_name    u64 hash | name          announces a type before its first message on a link
//   data         u64 hash | value bytes   one message (the value in cereal's binary encoding)
//   credit       u64 bytes                the receiver consumed this much: the sender may send more
//   goodbye      u64 bytes                the sender exits; everything it sent precedes this;
//                                         bytes: the data it received on this link
//   goodbye_ack  u64 bytes                everything up to the goodbye was received (bytes: all of
//                                         the data received on this link)
//   idle_query   u64 bytes                closing a link neither side uses any more (bytes: the
//                                         data the asking side received on this link)
//   idle_ok      u64 bytes                agreed, the link closes (bytes: the data received on it,
//                                         which confirms everything the asking side sent)
//   idle_busy                             not agreed: the link stays
//   link_accepted / link_rejected         the accepting side's verdict on a new link (the link
//                                         the lower pid opened wins when both open at once)

#include <constellation/detail/channel_ends.hpp>

#include "wire/frame.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace constellation::channel {

enum class frame_kind : std::uint8_t {
  type_name = 1,
  data = 2,
  credit = 3,
  goodbye = 4,
  goodbye_ack = 5,
  idle_query = 6,
  idle_ok = 7,
  idle_busy = 8,
  link_accepted = 9,
  link_rejected = 10,
};

static_assert(detail::message_header_room == wire::frame_header_size + 8);

// Fills the room left in front of a serialized message of frame_size bytes in all (borrowed
// blocks included) with its data frame header.
void stamp_data_frame(std::string& message, std::size_t frame_size, std::uint64_t type_hash);
std::string type_name_frame(std::uint64_t type_hash, std::string_view name);
std::string credit_frame(std::uint64_t bytes);
// goodbye, goodbye_ack, idle_query and idle_ok: with the data bytes received on the link.
std::string counted_frame(frame_kind kind, std::uint64_t bytes);
std::string signal_frame(frame_kind kind);  // a frame without payload

// The u64 at the start of a payload; nullopt when the payload is too short.
std::optional<std::uint64_t> read_u64(std::string_view payload);

}  // namespace constellation::channel
