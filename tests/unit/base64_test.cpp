#include "report/base64.hpp"

#include <doctest/doctest.h>

using namespace constellation::report;

TEST_CASE("base64: RFC 4648 test vectors") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
  }
}

TEST_CASE("base64: every byte value and every padding length round trip") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (std::size_t length = 0; length <= all.size(); ++length) {
    const std::string bytes = all.substr(all.size() - length);  // ends in 0xff, covers '+' and '/'
    const std::string encoded = base64_encode(bytes);
    CHECK(encoded.size() == (length + 2) / 3 * 4);
    CHECK(base64_decode(encoded) == bytes);
  }
}

TEST_CASE("base64: bad input is rejected") {
  for (const char* bad : {"Zg", "Zg=", "Zm9vY", "Zg==Zg==", "Z===", "====", "=Zg=", "Zm=v",
                          "Zh==", "Zm9=", "Zm9v\n", "Zm 9v", "Zm9-", "Zm9_", "Zm9v===="}) {
    CAPTURE(bad);
    CHECK_FALSE(base64_decode(bad).has_value());
  }
  CHECK_FALSE(base64_decode(std::string_view("Zm\0v", 4)).has_value());
  CHECK_FALSE(base64_decode("Zm\xc3\xa9").has_value());
}
