#include <constellation/resources.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <ostream>

namespace constellation {

namespace {
struct unit {
  std::string_view name;
  std::uint64_t factor;
};
constexpr std::array<unit, 9> units{{{"TiB", TiB},
                                     {"GiB", GiB},
                                     {"MiB", MiB},
                                     {"KiB", KiB},
                                     {"TB", TiB},
                                     {"GB", GiB},
                                     {"MB", MiB},
                                     {"KB", KiB},
                                     {"B", 1}}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
  text = trim(text);
  std::uint64_t factor = 1;
  for (const auto& u : units) {
    if (text.ends_with(u.name)) {
      factor = u.factor;
      text = trim(text.substr(0, text.size() - u.name.size()));
      break;
    }
  }
  if (text.empty()) return std::nullopt;
  std::uint64_t whole = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), whole);
  if (ec != std::errc{}) return std::nullopt;
  if (end == text.data() + text.size()) {
    if (whole > UINT64_MAX / factor) return std::nullopt;
    return whole * factor;
  }
  // A fraction such as "1.5 GiB": exact enough in a double for any size that fits in memory.
  double value = 0;
  auto [fend, fec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (fec != std::errc{} || fend != text.data() + text.size() || value < 0) return std::nullopt;
  const double bytes = std::round(value * static_cast<double>(factor));
  if (bytes >= 18446744073709551615.0) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

// Shortest text that reads back as the same double: 0.0625, 2, 0.1.
static std::string format_cores(double cpu) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, cpu);
  return ec == std::errc{} ? std::string(text, end) : "nan";
}

std::string format_bytes(std::uint64_t bytes) {
  for (const auto& u : units) {
    if (u.factor > 1 && u.name.size() == 3 && bytes != 0 && bytes % u.factor == 0)
      return std::to_string(bytes / u.factor) + " " + std::string(u.name);
  }
  return std::to_string(bytes) + " B";
}

std::string to_json(const resources& r) {
  return "{\"mem\":" + std::to_string(r.mem) + ",\"cpu\":" + format_cores(r.cpu) + "}";
}

std::string to_string(const resources& r) {
  return "mem " + format_bytes(r.mem) + ", cpu " + format_cores(r.cpu);
}

std::ostream& operator<<(std::ostream& out, const resources& r) {
  return out << to_string(r);
}

}  // namespace constellation
