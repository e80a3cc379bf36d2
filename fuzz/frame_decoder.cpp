// wire::decode_frame, which cuts every stream between constellation processes and daemons into
// frames. The input is the stream; it is also offered in two pieces, as a socket may deliver it,
// and both ways must cut the same frames.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "wire/frame.hpp"

namespace {

using constellation::wire::decode_frame;
using constellation::wire::frame_header_size;

// A small limit, so that the fuzzer reaches too_large with short inputs.
constexpr std::size_t max_payload = 64;

struct cut {
  std::uint8_t type;
  std::string payload;
  bool operator==(const cut&) const = default;
};

// The frames of stream, and whether it ended on an error.
std::vector<cut> cut_frames(std::string_view stream, bool& failed) {
  std::vector<cut> frames;
  failed = false;
  for (;;) {
    const auto f = decode_frame(stream, max_payload);
    if (!f) {
      failed = true;
      return frames;
    }
    if (!*f) return frames;
    const auto& one = **f;
    if (one.size < frame_header_size || one.size > stream.size() ||
        one.payload.size() > max_payload)
      std::abort();
    frames.push_back({one.type, std::string(one.payload)});
    stream.remove_prefix(one.size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  bool failed = false;
  const auto frames = cut_frames(stream, failed);

  // The same bytes arriving in two reads: the receiver keeps what the first left uncut and appends
  // the second to it.
  std::string buffer(stream.substr(0, size / 2));
  bool failed_in_pieces = false;
  auto in_pieces = cut_frames(buffer, failed_in_pieces);
  if (!failed_in_pieces) {
    std::size_t taken = 0;
    for (const auto& f : in_pieces) taken += frame_header_size + f.payload.size();
    buffer.erase(0, taken);
    buffer.append(stream.substr(size / 2));
    const auto more = cut_frames(buffer, failed_in_pieces);
    in_pieces.insert(in_pieces.end(), more.begin(), more.end());
  }
  if (failed_in_pieces != failed || in_pieces != frames) std::abort();

  // Encoding what was cut gives back the bytes it was cut from.
  std::string encoded;
  for (const auto& f : frames) constellation::wire::append_frame(encoded, f.type, f.payload);
  if (stream.substr(0, encoded.size()) != encoded) std::abort();
  return 0;
}
