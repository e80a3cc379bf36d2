#pragma once
// How elements travel between workers: a compact binary encoding written straight into a byte
// buffer. Numbers, strings, pairs, tuples, vectors, arrays and optionals have fast paths with no
// stream in between (a shuffle encodes every element once, so this is on the hot path); any other
// type goes through cereal, which every element type must support anyway, as a length-prefixed
// blob. Both sides run the same build, so the layout is native-endian and carries no versions.
//
// Non-goals: a stable format (nothing is kept across builds), compression.

#include <constellation/code_ref.hpp>
#include <constellation/detail/serialization.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

// Products of two 64-bit numbers, for scaling without division or overflow.
__extension__ typedef unsigned __int128 uint128;

struct decode_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A cursor over bytes that some peer of this job encoded. Every read is bounds-checked: a short
// buffer is a decode_error, never a read past its end.
class reader {
 public:
  explicit reader(std::string_view bytes) : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return at_ == end_; }
  std::size_t left() const { return static_cast<std::size_t>(end_ - at_); }

  const char* take(std::size_t n) {
    if (n > left())
      throw decode_error("dataflow: a message ended early (wanted " + std::to_string(n) +
                         " bytes, " + std::to_string(left()) + " left)");
    const char* p = at_;
    at_ += n;
    return p;
  }
  template <class T>
  T raw() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto byte = static_cast<std::uint8_t>(*take(1));
      value |= std::uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    throw decode_error("dataflow: a length is longer than 64 bits");
  }
  std::string_view bytes() {
    const auto n = varint();
    return {take(n), n};
  }

 private:
  const char* at_;
  const char* end_;
};

inline void put_varint(std::string& out, std::uint64_t value) {
  char buffer[10];
  std::size_t n = 0;
  while (value >= 0x80) {
    buffer[n++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  buffer[n++] = static_cast<char>(value);
  out.append(buffer, n);
}
template <class T>
void put_raw(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}
inline void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

template <class T>
struct codec;  // encode(out, value) and decode(reader, value&), for each supported shape

template <class T>
void encode(std::string& out, const T& value) {
  codec<T>::encode(out, value);
}
template <class T>
void decode(reader& in, T& value) {
  codec<T>::decode(in, value);
}
template <class T>
T decode(reader& in) {
  T value{};
  codec<T>::decode(in, value);
  return value;
}

template <class T>
struct codec {
  static_assert(constellation::detail::is_serializable<T>,
                "dataflow: an element or state type cannot be serialized with cereal; give it a "
                "serialize() member (or save/load) or include the cereal/types/ header for it");
  static void encode(std::string& out, const T& value) {
    put_bytes(out, constellation::detail::serialize_value(value));
  }
  static void decode(reader& in, T& value) {
    value = constellation::detail::deserialize_value<T>(in.bytes());
  }
};

template <class T>
requires std::is_arithmetic_v<T> || std::is_enum_v<T>
struct codec<T> {
  static void encode(std::string& out, T value) { put_raw(out, value); }
  static void decode(reader& in, T& value) { value = in.raw<T>(); }
};

template <>
struct codec<std::string> {
  static void encode(std::string& out, const std::string& value) { put_bytes(out, value); }
  static void decode(reader& in, std::string& value) { value.assign(in.bytes()); }
};

// A key read in place, for a table to look it up before it makes one: for a string the view of
// its bytes in the buffer (valid while the buffer is), for any other type the decoded value.
template <class T>
struct decode_in_place {
  static T read(reader& in) { return decode<T>(in); }
};
template <>
struct decode_in_place<std::string> {
  static std::string_view read(reader& in) { return in.bytes(); }
};
template <class T>
auto decode_view(reader& in) {
  return decode_in_place<T>::read(in);
}

// Whether a type's encoding is its object representation (numbers and enums, arrays of them, and
// pairs of them without padding, whose encoding is the first's bytes then the second's): a run of
// them encodes and decodes with one copy.
template <class T>
inline constexpr bool raw_encoding =
    (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) || std::is_enum_v<T>;
template <class T, std::size_t N>
inline constexpr bool raw_encoding<std::array<T, N>> = raw_encoding<T>;
template <class A, class B>
inline constexpr bool raw_encoding<std::pair<A, B>> = raw_encoding<A>&& raw_encoding<B> &&
                                                      sizeof(std::pair<A, B>) ==
                                                          sizeof(A) + sizeof(B);

// Copies n raw-encoded elements from bytes (memcpy through void*: a std::pair is not trivially
// copyable to the compiler, though its bytes are all it holds when raw_encoding says so).
template <class T>
void copy_raw(T* to, const char* bytes, std::size_t n) {
  static_assert(raw_encoding<T>);
  if (n > 0) std::memcpy(static_cast<void*>(to), bytes, n * sizeof(T));
}

template <class A, class B>
struct codec<std::pair<A, B>> {
  static void encode(std::string& out, const std::pair<A, B>& value) {
    if constexpr (raw_encoding<std::pair<std::remove_const_t<A>, B>>) {
      out.append(reinterpret_cast<const char*>(&value), sizeof value);
    } else {
      codec<std::remove_const_t<A>>::encode(out, value.first);  // a map's pair<const K, V> too
      codec<std::remove_const_t<B>>::encode(out, value.second);
    }
  }
  static void decode(reader& in, std::pair<A, B>& value) {
    if constexpr (raw_encoding<std::pair<A, B>>) {
      copy_raw(&value, in.take(sizeof value), 1);
    } else {
      codec<A>::decode(in, value.first);
      codec<B>::decode(in, value.second);
    }
  }
};

template <class... Ts>
struct codec<std::tuple<Ts...>> {
  static void encode(std::string& out, const std::tuple<Ts...>& value) {
    std::apply([&](const auto&... e) { (codec<std::decay_t<decltype(e)>>::encode(out, e), ...); },
               value);
  }
  static void decode(reader& in, std::tuple<Ts...>& value) {
    std::apply([&](auto&... e) { (codec<std::decay_t<decltype(e)>>::decode(in, e), ...); }, value);
  }
};

template <class T>
struct codec<std::optional<T>> {
  static void encode(std::string& out, const std::optional<T>& value) {
    out.push_back(value ? 1 : 0);
    if (value) codec<T>::encode(out, *value);
  }
  static void decode(reader& in, std::optional<T>& value) {
    if (*in.take(1)) {
      value.emplace();
      codec<T>::decode(in, *value);
    } else {
      value.reset();
    }
  }
};

template <class T, std::size_t N>
struct codec<std::array<T, N>> {
  static void encode(std::string& out, const std::array<T, N>& value) {
    if constexpr (std::is_arithmetic_v<T>)
      out.append(reinterpret_cast<const char*>(value.data()), sizeof value);
    else
      for (const auto& e : value) codec<T>::encode(out, e);
  }
  static void decode(reader& in, std::array<T, N>& value) {
    if constexpr (std::is_arithmetic_v<T>)
      std::memcpy(value.data(), in.take(sizeof value), sizeof value);
    else
      for (auto& e : value) codec<T>::decode(in, e);
  }
};

template <class T>
requires(!std::is_same_v<T, bool>) struct codec<std::vector<T>> {
  static void encode(std::string& out, const std::vector<T>& value) {
    put_varint(out, value.size());
    if constexpr (raw_encoding<T>) {
      if (!value.empty())
        out.append(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(T));
    } else
      for (const auto& e : value) codec<T>::encode(out, e);
  }
  static void decode(reader& in, std::vector<T>& value) {
    const auto n = in.varint();
    if constexpr (raw_encoding<T>) {
      if (n > in.left() / sizeof(T))
        throw decode_error("dataflow: a vector is longer than its message");
      value.resize(n);
      copy_raw(value.data(), in.take(n * sizeof(T)), n);
    } else {
      // Each element takes a byte at least, unless its type is empty (std::tuple<>).
      if (!std::is_empty_v<T> && n > in.left())
        throw decode_error("dataflow: a vector is longer than its message");
      value.clear();
      value.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) codec<T>::decode(in, value.emplace_back());
    }
  }
};

// Encodes every element of items, one after another.
template <class T>
void encode_all(std::string& out, std::span<const T> items) {
  if constexpr (raw_encoding<T>) {
    if (!items.empty()) out.append(reinterpret_cast<const char*>(items.data()), items.size_bytes());
  } else {
    for (const auto& x : items) codec<T>::encode(out, x);
  }
}

// Decodes elements until in is done, appending them to items.
template <class T>
void decode_all(reader& in, std::vector<T>& items) {
  if constexpr (raw_encoding<T>) {
    const auto n = in.left() / sizeof(T);
    if (n * sizeof(T) != in.left())
      throw decode_error("dataflow: a run of elements ends inside an element");
    const auto at = items.size();
    items.resize(at + n);
    copy_raw(items.data() + at, in.take(n * sizeof(T)), n);
  } else {
    while (!in.done()) codec<T>::decode(in, items.emplace_back());
  }
}

template <>
struct codec<code_ref> {
  static void encode(std::string& out, const code_ref& value) {
    put_bytes(out, constellation::detail::serialize_value(value));
  }
  static void decode(reader& in, code_ref& value) {
    value = constellation::detail::deserialize_value<code_ref>(in.bytes());
  }
};

}  // namespace constellation::dataflow::detail
