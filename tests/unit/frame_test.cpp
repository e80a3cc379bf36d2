#include "wire/frame.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace constellation::wire;

TEST_CASE("frame: round trip, byte by byte") {
  std::string stream;
  append_frame(stream, 7, "hello");
  append_frame(stream, 9, std::string("\0\xff", 2));
  std::string buffer;
  std::vector<std::pair<int, std::string>> seen;
  for (char c : stream) {
    buffer.push_back(c);
    auto decoded = decode_frame(buffer);
    REQUIRE(decoded.has_value());
    if (*decoded) {
      seen.emplace_back((*decoded)->type, std::string((*decoded)->payload));
      buffer.erase(0, (*decoded)->size);
    }
  }
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::pair<int, std::string>{7, "hello"});
  CHECK(seen[1] == std::pair<int, std::string>{9, std::string("\0\xff", 2)});
  CHECK(buffer.empty());
}

TEST_CASE("frame: a length beyond the limit is refused before any payload arrives") {
  std::string buffer;
  append_frame_header(buffer, 1, 1000);
  auto decoded = decode_frame(buffer, 999);
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error() == frame_error::too_large);
}

TEST_CASE("frame: zero length is malformed") {
  std::string buffer(5, '\0');
  auto decoded = decode_frame(buffer);
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error() == frame_error::empty_length);
}

TEST_CASE("frame: truncated header and payload wait for more") {
  std::string buffer;
  append_frame(buffer, 1, "abc");
  CHECK_FALSE(decode_frame(std::string_view(buffer).substr(0, 3)).value().has_value());
  CHECK_FALSE(decode_frame(std::string_view(buffer).substr(0, 7)).value().has_value());
}
