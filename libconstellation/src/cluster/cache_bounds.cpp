#include "cluster/cache_bounds.hpp"

#include <constellation/resources.hpp>

#include <array>
#include <cctype>
#include <charconv>

namespace constellation::cluster {

namespace {

constexpr std::string_view unlimited = "unlimited";

struct age_unit {
  char name;
  std::chrono::seconds length;
};
// Largest first: format_age picks the first that divides the age.
constexpr std::array<age_unit, 4> age_units{{{'d', std::chrono::days(1)},
                                             {'h', std::chrono::hours(1)},
                                             {'m', std::chrono::minutes(1)},
                                             {'s', std::chrono::seconds(1)}}};

// The longest age accepted: a system_clock duration (nanoseconds in 64 bits) holds about 292
// years, and an age is compared with the time since a binary's last use.
constexpr std::chrono::seconds longest_age = std::chrono::years(100);

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "512M" -> "512MiB": the one-letter units operators type, read as the binary units parse_bytes
// knows.
std::string with_binary_unit(std::string_view text) {
  std::string out(text);
  if (out.size() < 2) return out;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(out.back())));
  const char before = out[out.size() - 2];
  const bool after_number =
      std::isdigit(static_cast<unsigned char>(before)) || before == ' ' || before == '.';
  if (after_number && (last == 'K' || last == 'M' || last == 'G' || last == 'T')) {
    out.back() = last;
    out += "iB";
  }
  return out;
}

}  // namespace

std::string format_age(std::chrono::seconds age) {
  for (const auto& unit : age_units)
    if (age.count() != 0 && age % unit.length == std::chrono::seconds(0))
      return std::to_string(age / unit.length) + " " + unit.name;
  return std::to_string(age.count()) + " s";
}

std::string describe(const cache_bounds& bounds) {
  return (bounds.max_bytes ? "up to " + format_bytes(*bounds.max_bytes)
                           : std::string("no size bound")) +
         ", " +
         (bounds.max_age ? "binaries unused for " + format_age(*bounds.max_age) + " removed"
                         : std::string("no age bound"));
}

std::expected<std::optional<std::uint64_t>, std::string> parse_cache_max_bytes(
    std::string_view text) {
  text = trim(text);
  if (text == unlimited) return std::optional<std::uint64_t>();
  const auto bytes = parse_bytes(with_binary_unit(text));
  if (!bytes || *bytes == 0)
    return std::unexpected(
        "--cache-max-bytes \"" + std::string(text) +
        "\": expected a size above 0 such as 512M, 2G, 1.5G or \"2 GiB\" (K, M, G, T are "
        "KiB, MiB, GiB, TiB), a number of bytes, or unlimited");
  return std::optional<std::uint64_t>(*bytes);
}

std::expected<std::optional<std::chrono::seconds>, std::string> parse_cache_max_age(
    std::string_view text) {
  text = trim(text);
  if (text == unlimited) return std::optional<std::chrono::seconds>();
  const auto refused = [&] {
    return std::unexpected(
        "--cache-max-age \"" + std::string(text) +
        "\": expected a whole number above 0 with a unit, d (days), h (hours), m (minutes) "
        "or s (seconds), such as 7d, 12h or 30m, up to 100 years, or unlimited");
  };
  std::uint64_t count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  const auto rest = trim(text.substr(static_cast<std::size_t>(end - text.data())));
  if (ec != std::errc{} || count == 0 || rest.size() != 1) return refused();
  for (const auto& unit : age_units) {
    if (rest.front() != unit.name) continue;
    if (count > static_cast<std::uint64_t>(longest_age / unit.length)) return refused();
    return std::optional<std::chrono::seconds>(unit.length * static_cast<std::int64_t>(count));
  }
  return refused();
}

std::expected<bool, std::string> apply_cache_flag(std::string_view name, std::string_view value,
                                                  cache_bounds& bounds) {
  if (name == "--cache-max-bytes") {
    auto parsed = parse_cache_max_bytes(value);
    if (!parsed) return std::unexpected(parsed.error());
    bounds.max_bytes = *parsed;
    return true;
  }
  if (name == "--cache-max-age") {
    auto parsed = parse_cache_max_age(value);
    if (!parsed) return std::unexpected(parsed.error());
    bounds.max_age = *parsed;
    return true;
  }
  return false;
}

}  // namespace constellation::cluster
