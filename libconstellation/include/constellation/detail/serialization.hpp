#pragma once
// cereal binary encoding of values, with the standard types most programs send.

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <spanstream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace constellation::detail {

template <class T>
inline constexpr bool is_serializable =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

// A stream buffer that appends to a string: serializing into it copies each byte once.
class string_sink : public std::streambuf {
 public:
  explicit string_sink(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

template <class T>
void serialize_into(std::ostream& out, const T& value) {
  cereal::BinaryOutputArchive archive(out);
  archive(value);
}

template <class T>
std::string serialize_value(const T& value) {
  std::string bytes;
  string_sink sink(bytes);
  std::ostream out(&sink);
  serialize_into(out, value);
  return bytes;
}

// Throws cereal::Exception when the bytes end early.
template <class T>
T deserialize_value(std::string_view bytes) {
  // ispanstream wants a mutable span; reading never writes through it.
  std::ispanstream in(std::span<char>(const_cast<char*>(bytes.data()), bytes.size()), std::ios::binary);
  cereal::BinaryInputArchive archive(in);
  T value{};
  archive(value);
  return value;
}

}  // namespace constellation::detail
