#pragma once
// The cereal archive that decodes every value constellation receives: a channel message, a control
// or cluster message, a spawned function's arguments. It reads cereal's binary format, as
// cereal::BinaryInputArchive does, from bytes in memory, and refuses what that archive would
// believe: a container or string length larger than the bytes left in the message (cereal would
// allocate it before reading a byte of it, so ten bytes could ask for gigabytes), and a bool that
// is neither 0 nor 1 (reading such a bool is undefined behaviour). Containers grow as their
// elements arrive, so what a message makes a receiver allocate stays proportional to its size.
//
// Failures throw cereal::Exception, as BinaryInputArchive's do.

#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/vector.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace constellation::detail {

class bytes_input_archive
    : public cereal::InputArchive<bytes_input_archive, cereal::AllowEmptyClassElision> {
 public:
  // Reads from bytes, which must outlive the archive.
  explicit bytes_input_archive(std::string_view bytes)
      : cereal::InputArchive<bytes_input_archive, cereal::AllowEmptyClassElision>(this),
        rest_(bytes) {}

  void load_bytes(void* data, std::size_t size) {
    if (size > rest_.size()) {
      throw cereal::Exception("the message ended early: " + std::to_string(size) +
                              " bytes wanted, " + std::to_string(rest_.size()) + " left");
    }
    if (size > 0) std::memcpy(data, rest_.data(), size);
    rest_.remove_prefix(size);
  }

  // A count of elements or characters: each takes at least one byte of what is left.
  std::size_t load_length() {
    std::uint64_t length = 0;
    load_bytes(&length, sizeof length);
    if (length > rest_.size()) {
      throw cereal::Exception("a length of " + std::to_string(length) + " is more than the " +
                              std::to_string(rest_.size()) + " bytes left in the message");
    }
    return static_cast<std::size_t>(length);
  }

 private:
  std::string_view rest_;
};

template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_LOAD_FUNCTION_NAME(bytes_input_archive& ar, T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    std::uint8_t byte = 0;
    ar.load_bytes(&byte, 1);
    if (byte > 1)
      throw cereal::Exception("a bool that is neither 0 nor 1: " + std::to_string(byte));
    value = byte != 0;
  } else {
    ar.load_bytes(std::addressof(value), sizeof value);
  }
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(bytes_input_archive& ar, cereal::BinaryData<T>& data) {
  ar.load_bytes(data.data, static_cast<std::size_t>(data.size));
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(bytes_input_archive& ar, cereal::NameValuePair<T>& pair) {
  ar(pair.value);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(bytes_input_archive& ar, cereal::SizeTag<T>& tag) {
  tag.size = static_cast<std::remove_reference_t<T>>(ar.load_length());
}

// cereal sizes a vector of objects to its stated count before reading any; here it grows with
// each element read instead, so that a count the bytes cannot back allocates nothing.
template <class T, class A>
requires(!std::is_arithmetic_v<T>) void CEREAL_LOAD_FUNCTION_NAME(bytes_input_archive& ar,
                                                                  std::vector<T, A>& vector) {
  const std::size_t size = ar.load_length();
  vector.clear();
  for (std::size_t i = 0; i < size; ++i) ar(vector.emplace_back());
}

}  // namespace constellation::detail

CEREAL_REGISTER_ARCHIVE(constellation::detail::bytes_input_archive)

// What cereal needs to pair it with the output archive (for enums and other minimal
// serialization); the reverse pairing stays BinaryOutputArchive -> BinaryInputArchive.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<constellation::detail::bytes_input_archive> {
  using type = cereal::BinaryOutputArchive;
};
}  // namespace cereal::traits::detail
