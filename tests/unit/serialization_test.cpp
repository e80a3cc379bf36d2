// Serializing a message for a blocking send: large contiguous blocks stay in the value and are
// recorded where they belong; glued back together, the parts are exactly the copied encoding.
#include <constellation/channel.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace detail = constellation::detail;

namespace {

struct mixed {
  std::string small = "small";
  std::vector<char> big = std::vector<char>(200'000, 'b');
  int number = 7;
  std::vector<double> doubles = std::vector<double>(10'000, 2.5);  // 80 000 bytes
  std::string big_text = std::string(70'000, 't');
  std::string last = "last";
  template <class Archive>
  void serialize(Archive& archive) {
    archive(small, big, number, doubles, big_text, last);
  }
};

std::string glued(const detail::outgoing_message& message) {
  std::string out;
  std::size_t at = 0;
  for (const auto& block : message.borrowed) {
    out.append(message.bytes, at, block.offset - at);
    out.append(block.data, block.size);
    at = block.offset;
  }
  out.append(message.bytes, at);
  return out;
}

}  // namespace

TEST_CASE("serialization: blocks of 64 KiB and more are borrowed from the value, in order") {
  const mixed value;
  const auto message = detail::serialize_message<detail::outgoing_message>(value);
  REQUIRE(message.borrowed.size() == 3);
  CHECK(message.borrowed[0].data == value.big.data());
  CHECK(message.borrowed[0].size == value.big.size());
  CHECK(message.borrowed[1].data == reinterpret_cast<const char*>(value.doubles.data()));
  CHECK(message.borrowed[2].data == value.big_text.data());
  CHECK(message.borrowed_size == 200'000 + 80'000 + 70'000);
  // Only the small fields, their sizes and the header's room were copied.
  CHECK(message.bytes.size() < 200);
  CHECK(message.size() == message.bytes.size() + message.borrowed_size);

  const std::string copied = detail::serialize_message(value);
  CHECK(glued(message) == copied);
  const auto back = detail::deserialize_value<mixed>(
      std::string_view(copied).substr(detail::message_header_room));
  CHECK(back.big == value.big);
  CHECK(back.doubles == value.doubles);
  CHECK(back.big_text == value.big_text);
  CHECK(back.last == "last");
}

TEST_CASE("serialization: a small value is copied whole") {
  const auto message =
      detail::serialize_message<detail::outgoing_message>(std::vector<char>(64 * 1024 - 1, 'x'));
  CHECK(message.borrowed.empty());
  CHECK(message.bytes.size() == detail::message_header_room + 8 + 64 * 1024 - 1);
}

TEST_CASE(
    "serialization: a nested serialization copies, and the borrowing sink is reset after use") {
  // A plain string serialization after a borrowing one must not borrow.
  (void)detail::serialize_message<detail::outgoing_message>(mixed{});
  const std::string plain = detail::serialize_value(std::vector<char>(100'000, 'p'));
  CHECK(plain.size() == 8 + 100'000);
}

// Found by fuzz/control_messages: ten bytes stating a vector of 2^30 strings made cereal allocate
// them all before reading one.
TEST_CASE(
    "deserialization: a length beyond the bytes left is refused before anything is allocated") {
  std::string bytes = detail::serialize_value(std::uint64_t{1} << 30);
  bytes += "xy";
  CHECK_THROWS_AS((void)detail::deserialize_value<std::vector<std::string>>(bytes),
                  cereal::Exception);
  CHECK_THROWS_AS((void)detail::deserialize_value<std::string>(bytes), cereal::Exception);
  CHECK_THROWS_AS((void)detail::deserialize_value<std::vector<std::uint64_t>>(bytes),
                  cereal::Exception);
  const std::vector<std::string> strings{"a", "", "bc"};
  CHECK(detail::deserialize_value<std::vector<std::string>>(detail::serialize_value(strings)) ==
        strings);
}

TEST_CASE("deserialization: a bool is 0 or 1") {
  CHECK(detail::deserialize_value<bool>(std::string(1, '\1')));
  CHECK_FALSE(detail::deserialize_value<bool>(std::string(1, '\0')));
  CHECK_THROWS_AS((void)detail::deserialize_value<bool>(std::string(1, '\2')), cereal::Exception);
}
