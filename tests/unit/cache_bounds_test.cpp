// The values of --cache-max-bytes and --cache-max-age (cluster/cache_bounds.hpp).
#include "cluster/cache_bounds.hpp"

#include <doctest/doctest.h>

#include <constellation/resources.hpp>

using namespace constellation;
using namespace constellation::cluster;
using namespace std::chrono_literals;

TEST_CASE("cache bounds: sizes with one-letter or full binary units, or unlimited") {
  CHECK(parse_cache_max_bytes("512M").value() == 512 * MiB);
  CHECK(parse_cache_max_bytes("2G").value() == 2 * GiB);
  CHECK(parse_cache_max_bytes("2g").value() == 2 * GiB);
  CHECK(parse_cache_max_bytes("1.5G").value() == 3 * 512 * MiB);
  CHECK(parse_cache_max_bytes("64K").value() == 64 * KiB);
  CHECK(parse_cache_max_bytes("1T").value() == TiB);
  CHECK(parse_cache_max_bytes("2 GiB").value() == 2 * GiB);
  CHECK(parse_cache_max_bytes("3000000").value() == 3000000u);
  CHECK_FALSE(parse_cache_max_bytes("unlimited").value().has_value());
  for (const char* bad :
       {"", "0", "0G", "G", "-1G", "2X", "12 parsecs", "2GG", "lots", "99999999999T"}) {
    CAPTURE(bad);
    const auto refused = parse_cache_max_bytes(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().starts_with("--cache-max-bytes \""));
    CHECK(refused.error().find("512M, 2G") != std::string::npos);
    CHECK(refused.error().find("unlimited") != std::string::npos);
  }
}

TEST_CASE("cache bounds: ages are a whole number with a unit, or unlimited") {
  CHECK(parse_cache_max_age("7d").value() == std::chrono::days(7));
  CHECK(parse_cache_max_age("12h").value() == 12h);
  CHECK(parse_cache_max_age("30m").value() == 30min);
  CHECK(parse_cache_max_age("90s").value() == 90s);
  CHECK(parse_cache_max_age("7 d").value() == std::chrono::days(7));
  CHECK_FALSE(parse_cache_max_age("unlimited").value().has_value());
  for (const char* bad : {"", "7", "0d", "d", "-1d", "1.5d", "7days", "7w", "7dd", "40000d",
                          "99999999999999999999d"}) {
    CAPTURE(bad);
    const auto refused = parse_cache_max_age(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().starts_with("--cache-max-age \""));
    CHECK(refused.error().find("7d, 12h or 30m") != std::string::npos);
  }
}

TEST_CASE("cache bounds: defaults, flags and their description") {
  const cache_bounds defaults;
  CHECK(defaults.max_bytes == 2 * GiB);
  CHECK(defaults.max_age == std::chrono::days(7));
  CHECK(describe(defaults) == "up to 2 GiB, binaries unused for 7 d removed");
  CHECK(describe(cache_bounds{std::nullopt, std::nullopt}) == "no size bound, no age bound");

  cache_bounds bounds;
  CHECK(apply_cache_flag("--cache-max-bytes", "512M", bounds).value());
  CHECK(apply_cache_flag("--cache-max-age", "12h", bounds).value());
  CHECK(bounds.max_bytes == 512 * MiB);
  CHECK(bounds.max_age == 12h);
  CHECK_FALSE(apply_cache_flag("--cache-dir", "/c", bounds).value());
  CHECK_FALSE(apply_cache_flag("--cache-max-age", "soon", bounds).has_value());
  CHECK(bounds.max_age == 12h);  // a refused value changes nothing

  CHECK(format_age(90s) == "90 s");
  CHECK(format_age(120s) == "2 m");
  CHECK(format_age(36h) == "36 h");
}
