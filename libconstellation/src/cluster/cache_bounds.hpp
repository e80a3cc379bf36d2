#pragma once
// How much a daemon's binary cache may hold, and for how long a binary nobody runs is kept: the
// bounds of cache_pruning_policy, as the daemons' --cache-max-bytes and --cache-max-age give them.
//
// The defaults suit a cluster that deploys a handful of programs a day: 2 GiB holds tens of
// typical binaries (a statically linked program of a few to a hundred MiB), and a program
// deployed every week, such as a weekly report, is still there at its next run; what falls out
// is uploaded again when deployed, at the cost of one transfer.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace constellation::cluster {

struct cache_bounds {
  static constexpr std::uint64_t default_max_bytes = 2ull << 30;  // 2 GiB
  static constexpr std::chrono::seconds default_max_age = std::chrono::days(7);

  // nullopt: no bound ("unlimited" on the command line).
  std::optional<std::uint64_t> max_bytes = default_max_bytes;
  std::optional<std::chrono::seconds> max_age = default_max_age;
};

// "up to 2 GiB, binaries unused for 7 d removed": for the line a daemon logs when it starts.
std::string describe(const cache_bounds& bounds);

// "7 d", "12 h", "90 s": the largest of d, h, m, s that divides the age; for logs.
std::string format_age(std::chrono::seconds age);

// The value of --cache-max-bytes: "512M", "2G", "1.5G", "2 GiB", "1048576" (K, M, G, T and KiB,
// MiB, GiB, TiB are binary units), or "unlimited". The error names the flag, the value and the
// accepted forms.
std::expected<std::optional<std::uint64_t>, std::string> parse_cache_max_bytes(
    std::string_view text);

// The value of --cache-max-age: a whole number with a unit, "7d", "12h", "30m", "90s", up to 100
// years, or "unlimited". The error names the flag, the value and the accepted forms.
std::expected<std::optional<std::chrono::seconds>, std::string> parse_cache_max_age(
    std::string_view text);

// The two flags above, for the daemons' option parsers: when name is one of them, sets its bound
// in bounds from value (or gives the error) and returns true; otherwise returns false.
std::expected<bool, std::string> apply_cache_flag(std::string_view name, std::string_view value,
                                                  cache_bounds& bounds);

}  // namespace constellation::cluster
