#include "channel/channel_frames.hpp"

#include <cstring>

namespace constellation::channel {

namespace {
void put_u64(char* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
}  // namespace

void stamp_data_frame(std::string& message, std::size_t frame_size, std::uint64_t type_hash) {
  std::string header;
  wire::append_frame_header(header, static_cast<std::uint8_t>(frame_kind::data),
                            frame_size - wire::frame_header_size);
  std::memcpy(message.data(), header.data(), wire::frame_header_size);
  put_u64(message.data() + wire::frame_header_size, type_hash);
}

std::string type_name_frame(std::uint64_t type_hash, std::string_view name) {
  std::string payload(8, '\0');
  put_u64(payload.data(), type_hash);
  payload.append(name);
  std::string out;
  wire::append_frame(out, static_cast<std::uint8_t>(frame_kind::type_name), payload);
  return out;
}

std::string counted_frame(frame_kind kind, std::uint64_t bytes) {
  char payload[8];
  put_u64(payload, bytes);
  std::string out;
  wire::append_frame(out, static_cast<std::uint8_t>(kind), std::string_view(payload, 8));
  return out;
}

std::string credit_frame(std::uint64_t bytes) {
  return counted_frame(frame_kind::credit, bytes);
}

std::string signal_frame(frame_kind kind) {
  std::string out;
  wire::append_frame(out, static_cast<std::uint8_t>(kind), {});
  return out;
}

std::optional<std::uint64_t> read_u64(std::string_view payload) {
  if (payload.size() < 8) return std::nullopt;
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(payload[static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace constellation::channel
