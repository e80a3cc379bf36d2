// What a dataflow worker decodes from its peers: shuffle blocks of elements in the dataflow codec
// (dataflow/codec.hpp), and the driver's commands, the workers' reports and shuffle blocks as
// channel values (dataflow/src/protocol.hpp). The first byte picks the shape to decode.

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <constellation/dataflow/codec.hpp>

#include "protocol.hpp"

namespace {

namespace df = constellation::dataflow::detail;

// Decodes a run of elements as a shuffle's reader does. Encoding them and decoding that must give
// the same encoding: an element may be read from several spellings (a varint with padding, an
// optional's flag above 1), but then it is one value.
template <class T>
std::optional<std::string> reencode(std::string_view bytes) {
  std::vector<T> items;
  try {
    df::reader in(bytes);
    df::decode_all(in, items);
  } catch (const df::decode_error&) {
    return std::nullopt;  // the task fails with this message
  }
  std::string encoded;
  df::encode_all(encoded, std::span<const T>(items));
  return encoded;
}

template <class T>
void decode_elements(std::string_view bytes) {
  const auto once = reencode<T>(bytes);
  if (!once) return;
  const auto twice = reencode<T>(*once);
  if (!twice || *twice != *once) std::abort();
}

// A channel value, as the channel layer decodes it for the worker or the driver.
template <class T>
void decode_value(std::string_view bytes) {
  try {
    (void)constellation::detail::deserialize_value<T>(bytes);
  } catch (const cereal::Exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 8) {
    case 0:
      decode_elements<std::pair<std::string, std::int64_t>>(bytes);
      break;
    case 1:
      decode_elements<std::tuple<std::uint32_t, std::optional<std::string>, double>>(bytes);
      break;
    case 2:
      decode_elements<std::vector<std::int32_t>>(bytes);
      break;
    case 3:
      decode_elements<std::vector<std::pair<std::string, std::vector<std::string>>>>(bytes);
      break;
    case 4:
      decode_elements<std::array<std::uint16_t, 3>>(bytes);
      break;
    case 5:
      decode_value<df::command>(bytes);
      break;
    case 6:
      decode_value<df::report>(bytes);
      break;
    case 7:
      decode_value<df::block>(bytes);
      break;
  }
  return 0;
}
