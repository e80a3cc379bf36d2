#pragma once
// Length-prefixed frames over a byte stream, as plain functions over buffers: no sockets here.
//
//   u32 length (little-endian) of what follows | u8 type | payload (length - 1 bytes)

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace constellation::wire {

inline constexpr std::size_t frame_header_size = 5;
// Large enough for a 64 MiB message with room to spare, small enough that a corrupt length
// cannot make a peer allocate gigabytes.
inline constexpr std::size_t default_max_payload = 256 * 1024 * 1024;

struct frame {
  std::uint8_t type = 0;
  std::string_view payload;  // points into the buffer given to decode_frame
  std::size_t size = 0;      // bytes the frame took in that buffer, header included
};

enum class frame_error { too_large, empty_length };
const char* to_string(frame_error e);

// Appends one frame to out.
void append_frame(std::string& out, std::uint8_t type, std::string_view payload);
// Writes the header of a frame whose payload the caller appends itself (avoids a copy).
void append_frame_header(std::string& out, std::uint8_t type, std::size_t payload_size);

// The first frame of buffer; nullopt when the buffer holds only part of it.
std::expected<std::optional<frame>, frame_error> decode_frame(
    std::string_view buffer, std::size_t max_payload = default_max_payload);

}  // namespace constellation::wire
