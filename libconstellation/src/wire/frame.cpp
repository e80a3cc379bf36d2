#include "wire/frame.hpp"

namespace constellation::wire {

const char* to_string(frame_error e) {
  switch (e) {
    case frame_error::too_large:
      return "frame larger than the limit";
    case frame_error::empty_length:
      return "frame with a zero length";
  }
  return "unknown frame error";
}

void append_frame_header(std::string& out, std::uint8_t type, std::size_t payload_size) {
  const auto length = static_cast<std::uint32_t>(payload_size + 1);
  const char header[frame_header_size] = {
      static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
      static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff),
      static_cast<char>(type)};
  out.append(header, frame_header_size);
}

void append_frame(std::string& out, std::uint8_t type, std::string_view payload) {
  append_frame_header(out, type, payload.size());
  out.append(payload);
}

std::expected<std::optional<frame>, frame_error> decode_frame(std::string_view buffer,
                                                              std::size_t max_payload) {
  if (buffer.size() < frame_header_size) return std::nullopt;
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(buffer[i]));
  };
  const std::uint32_t length = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
  if (length == 0) return std::unexpected(frame_error::empty_length);
  if (length - 1 > max_payload) return std::unexpected(frame_error::too_large);
  const std::size_t total = 4 + static_cast<std::size_t>(length);
  if (buffer.size() < total) return std::nullopt;
  return frame{static_cast<std::uint8_t>(buffer[4]), buffer.substr(frame_header_size, length - 1),
               total};
}

}  // namespace constellation::wire
