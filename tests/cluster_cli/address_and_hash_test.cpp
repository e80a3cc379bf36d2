#include "bridge/binary_hash.hpp"
#include "bridge/tcp_address.hpp"

#include <doctest/doctest.h>

using namespace constellation::bridge;

TEST_CASE("parse_tcp_address reads IPv4:port and localhost") {
  auto a = parse_tcp_address("127.0.0.11:7000");
  REQUIRE(a.has_value());
  CHECK(a->text == "127.0.0.11:7000");
  CHECK(a->endpoint.port() == 7000);
  CHECK(a->loopback());
  auto l = parse_tcp_address("localhost:9");
  REQUIRE(l.has_value());
  CHECK(l->text == "127.0.0.1:9");
  auto remote = parse_tcp_address("10.0.0.2:65535");
  REQUIRE(remote.has_value());
  CHECK_FALSE(remote->loopback());
}

TEST_CASE("parse_tcp_address refuses what is not IPv4:port, saying why") {
  for (const char* text :
       {"127.0.0.1", "127.0.0.1:", ":7000", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80",
        "127.0.0.1:80x", "example.com:80", "010.0.0.1:80", "1.2.3:80", "[::1]:80", "::1:80"}) {
    CAPTURE(text);
    auto a = parse_tcp_address(text);
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().find(std::string("\"") + text + "\"") != std::string::npos);
  }
  CHECK(parse_tcp_address("example.com:80").error().find("not resolved") != std::string::npos);
  CHECK(parse_tcp_address("127.0.0.1:0").error().find("1 to 65535") != std::string::npos);
}

TEST_CASE("sha256_hex matches the standard test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(is_binary_hash(sha256_hex(std::string(100000, '\0'))));
}

TEST_CASE("is_binary_hash accepts only 64 lowercase hex digits") {
  CHECK(is_binary_hash(std::string(64, 'a')));
  CHECK_FALSE(is_binary_hash(std::string(63, 'a')));
  CHECK_FALSE(is_binary_hash(std::string(65, 'a')));
  CHECK_FALSE(is_binary_hash(std::string(64, 'A')));
  CHECK_FALSE(is_binary_hash("../" + std::string(61, 'a')));
  CHECK_FALSE(is_binary_hash(""));
}
