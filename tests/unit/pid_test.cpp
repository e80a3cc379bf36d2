#include <constellation/pid.hpp>

#include "runtime/pid_access.hpp"

#include <doctest/doctest.h>
#include <constellation/detail/serialization.hpp>

#include <set>
#include <sstream>
#include <unordered_set>

using constellation::pid;
using pid_parts = constellation::detail::pid_access;

TEST_CASE("pid: the null pid") {
  pid null;
  CHECK_FALSE(null);
  CHECK(null == pid{});
  CHECK(null.to_string() == "0000000");
}

TEST_CASE("pid: regular value semantics") {
  pid a = pid_parts::make(0x1234, 1, 0x7f000001, 4000);
  pid b = pid_parts::make(0x1234, 2, 0x7f000001, 4001);
  pid a2 = a;
  CHECK(a);
  CHECK(a == a2);
  CHECK(a != b);
  CHECK((a < b) != (b < a));
  CHECK(std::hash<pid>{}(a) == std::hash<pid>{}(a2));
  std::ostringstream out;
  out << a;
  CHECK(out.str() == a.to_string());
}

TEST_CASE("pid: seven lowercase hex characters, distinct within a job") {
  std::set<std::string> seen;
  for (std::uint32_t serial = 1; serial <= 100000; ++serial) {
    auto text = pid_parts::make(0xfeedbeefcafe, serial, 0, 0).to_string();
    REQUIRE(text.size() == 7);
    REQUIRE(text.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(text);
  }
  CHECK(seen.size() == 100000);
}

TEST_CASE("pid: two jobs name their first processes differently") {
  CHECK(pid_parts::make(1111, 1, 0, 0).to_string() != pid_parts::make(2222, 1, 0, 0).to_string());
}

TEST_CASE("pid: serialization round trip") {
  pid a = pid_parts::make(0xabcdef0123456789, 77, 0x7f00000b, 9999);
  auto bytes = constellation::detail::serialize_value(a);
  CHECK(constellation::detail::deserialize_value<pid>(bytes) == a);
  std::unordered_set<pid> set{a};
  CHECK(set.contains(a));
}
