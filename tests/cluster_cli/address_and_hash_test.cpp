// The address and binary hash that constellation-deploy, the bridge and the fabric share
// (cluster/endpoint.hpp, crypto/crypto.hpp), as the two command-line programs use them.
#include "cluster/endpoint.hpp"
#include "crypto/crypto.hpp"

#include "temporary_directory.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace constellation::cluster;
using namespace constellation::crypto;

TEST_CASE("parse_endpoint reads IPv4:port and localhost, for Asio too") {
  auto a = parse_endpoint("127.0.0.11:7000");
  REQUIRE(a.has_value());
  CHECK(a->text == "127.0.0.11:7000");
  CHECK(tcp_endpoint(*a).port() == 7000);
  CHECK(is_loopback(*a));
  auto l = parse_endpoint("localhost:9");
  REQUIRE(l.has_value());
  CHECK(l->text == "127.0.0.1:9");
  auto remote = parse_endpoint("10.0.0.2:65535");
  REQUIRE(remote.has_value());
  CHECK_FALSE(is_loopback(*remote));
}

TEST_CASE("parse_endpoint refuses what is not IPv4:port, saying why") {
  for (const char* text :
       {"127.0.0.1", "127.0.0.1:", ":7000", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80",
        "127.0.0.1:80x", "example.com:80", "010.0.0.1:80", "1.2.3:80", "[::1]:80", "::1:80"}) {
    CAPTURE(text);
    auto a = parse_endpoint(text);
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().find(std::string("\"") + text + "\"") != std::string::npos);
  }
  CHECK(parse_endpoint("example.com:80").error().find("not resolved") != std::string::npos);
  CHECK(parse_endpoint("127.0.0.1:0").error().find("1 to 65535") != std::string::npos);
}

TEST_CASE("sha256_hex matches the standard test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(is_sha256_hex(sha256_hex(std::string(100000, '\0'))));
}

TEST_CASE("sha256_of_file hashes a file's content, in chunks, and names a file it cannot read") {
  cluster_cli_test::temporary_directory tmp;
  const std::string path = tmp.path() + "/content";
  std::string content(200000, 'x');  // more than one chunk
  content += "abc";
  std::ofstream(path, std::ios::binary) << content;
  CHECK(sha256_of_file(path) == sha256_hex(content));
  const auto missing = sha256_of_file(tmp.path() + "/missing");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().find(tmp.path() + "/missing") != std::string::npos);
}

TEST_CASE("is_sha256_hex accepts only 64 lowercase hex digits") {
  CHECK(is_sha256_hex(std::string(64, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(65, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(64, 'A')));
  CHECK_FALSE(is_sha256_hex("../" + std::string(61, 'a')));
  CHECK_FALSE(is_sha256_hex(""));
}
