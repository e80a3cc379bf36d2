#pragma once
// What a process asks for: memory in bytes and logical cores.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace constellation {

inline constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, TiB = 1024 * GiB;

namespace literals {
constexpr std::uint64_t operator""_KiB(unsigned long long n) {
  return n * KiB;
}
constexpr std::uint64_t operator""_MiB(unsigned long long n) {
  return n * MiB;
}
constexpr std::uint64_t operator""_GiB(unsigned long long n) {
  return n * GiB;
}
constexpr std::uint64_t operator""_TiB(unsigned long long n) {
  return n * TiB;
}
}  // namespace literals

struct resources {
  std::uint64_t mem = 100 * MiB;  // bytes
  double cpu = 1.0 / 16;          // logical cores; passed to children exactly
  friend bool operator==(const resources&, const resources&) = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(mem, cpu);
  }
};

// "512 MiB", "2 GiB", "1.5 GiB", "4096", "4096 B", "100KiB": a byte count with an optional binary
// unit (B, KiB, MiB, GiB, TiB; the SI spellings KB, MB, GB, TB are read as the binary ones).
// nullopt when the text is not such a count or overflows 64 bits.
std::optional<std::uint64_t> parse_bytes(std::string_view text);

// The largest unit that divides the count exactly: 2147483648 -> "2 GiB", 1000 -> "1000 B".
std::string format_bytes(std::uint64_t bytes);

// {"mem":104857600,"cpu":0.0625}: the form CONSTELLATION_RECCE=1 prints.
std::string to_json(const resources& r);
// "mem 100 MiB, cpu 0.0625"
std::string to_string(const resources& r);
std::ostream& operator<<(std::ostream& out, const resources& r);

}  // namespace constellation
