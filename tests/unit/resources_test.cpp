#include <constellation/resources.hpp>

#include <doctest/doctest.h>

#include <sstream>

using namespace constellation;
using namespace constellation::literals;

TEST_CASE("resources: literals and defaults") {
  CHECK(512_KiB == 512 * 1024);
  CHECK(20_MiB == 20ull * 1024 * 1024);
  CHECK(2_GiB == 2ull << 30);
  CHECK(1_TiB == 1ull << 40);
  resources r;
  CHECK(r.mem == 100 * MiB);
  CHECK(r.cpu == 1.0 / 16);
  CHECK(r == resources{100 * MiB, 0.0625});
  CHECK_FALSE(r == resources{.mem = 1_GiB, .cpu = 0.0625});
}

TEST_CASE("resources: parsing byte counts") {
  CHECK(parse_bytes("2 GiB") == 2_GiB);
  CHECK(parse_bytes("512 MiB") == 512_MiB);
  CHECK(parse_bytes("512MiB") == 512_MiB);
  CHECK(parse_bytes("100 GiB") == 100_GiB);
  CHECK(parse_bytes("4096") == 4096u);
  CHECK(parse_bytes("4096 B") == 4096u);
  CHECK(parse_bytes(" 1 TiB ") == 1_TiB);
  CHECK(parse_bytes("1.5 GiB") == 3 * 512_MiB);
  CHECK(parse_bytes("2 GB") == 2_GiB);
  CHECK_FALSE(parse_bytes(""));
  CHECK_FALSE(parse_bytes("GiB"));
  CHECK_FALSE(parse_bytes("12 parsecs"));
  CHECK_FALSE(parse_bytes("-1 GiB"));
  CHECK_FALSE(parse_bytes("99999999999999999999"));
  CHECK_FALSE(parse_bytes("20000000 TiB"));
}

TEST_CASE("resources: printing") {
  CHECK(format_bytes(2_GiB) == "2 GiB");
  CHECK(format_bytes(512_MiB) == "512 MiB");
  CHECK(format_bytes(1536_MiB) == "1536 MiB");
  CHECK(format_bytes(1000) == "1000 B");
  CHECK(format_bytes(0) == "0 B");
  CHECK(to_json(resources{}) == R"({"mem":104857600,"cpu":0.0625})");
  CHECK(to_string(resources{.mem = 2_GiB, .cpu = 0.5}) == "mem 2 GiB, cpu 0.5");
  std::ostringstream out;
  out << resources{.mem = 1_MiB, .cpu = 2};
  CHECK(out.str() == "mem 1 MiB, cpu 2");
  for (std::uint64_t bytes : {std::uint64_t{1}, std::uint64_t{1023}, 1_KiB, 3_MiB, 5_GiB, 7_TiB})
    CHECK(parse_bytes(format_bytes(bytes)) == bytes);
}
