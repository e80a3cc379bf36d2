// The element codec: every supported shape decodes to what was encoded, and a buffer cut short is
// a decode_error, never a read past its end (checked against a guard page).
#include <constellation/dataflow/codec.hpp>

#include <doctest/doctest.h>

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace detail = constellation::dataflow::detail;

namespace {

enum class colour : std::uint8_t { red = 1, green = 2 };

// No fast path: it goes through cereal as a length-prefixed blob.
struct account {
  std::string owner;
  std::vector<std::int64_t> history;
  double balance = 0;
  bool operator==(const account&) const = default;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(owner, history, balance);
  }
};

template <class T>
std::string encoded(const T& value) {
  std::string out;
  detail::encode(out, value);
  return out;
}

template <class T>
T round_trip(const T& value) {
  const auto bytes = encoded(value);
  detail::reader in(bytes);
  auto back = detail::decode<T>(in);
  CHECK(in.done());
  return back;
}

// Bytes placed so that the byte after the last is on a page that cannot be read: a decoder that
// reads past the end crashes the test instead of passing by luck.
class guarded_bytes {
 public:
  explicit guarded_bytes(std::string_view bytes) {
    page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    pages_ = (bytes.size() + page_ - 1) / page_ + 1;
    base_ = static_cast<char*>(::mmap(nullptr, pages_ * page_, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(base_ != MAP_FAILED);
    REQUIRE(::mprotect(base_ + (pages_ - 1) * page_, page_, PROT_NONE) == 0);
    data_ = base_ + (pages_ - 1) * page_ - bytes.size();
    std::memcpy(data_, bytes.data(), bytes.size());
    size_ = bytes.size();
  }
  ~guarded_bytes() { ::munmap(base_, pages_ * page_); }
  guarded_bytes(const guarded_bytes&) = delete;
  guarded_bytes& operator=(const guarded_bytes&) = delete;
  std::string_view view() const { return {data_, size_}; }

 private:
  std::size_t page_ = 0, pages_ = 0, size_ = 0;
  char* base_ = nullptr;
  char* data_ = nullptr;
};

// Every strict prefix of value's encoding fails to decode with decode_error.
template <class T>
void check_every_prefix_fails(const T& value) {
  const auto bytes = encoded(value);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    guarded_bytes cut(std::string_view(bytes).substr(0, n));
    detail::reader in(cut.view());
    CHECK_THROWS_AS(detail::decode<T>(in), detail::decode_error);
  }
}

}  // namespace

TEST_CASE("codec: numbers and enums and bools decode to what was encoded") {
  CHECK(round_trip(std::int8_t{-5}) == -5);
  CHECK(round_trip(std::uint64_t{0}) == 0);
  CHECK(round_trip(std::numeric_limits<std::uint64_t>::max()) ==
        std::numeric_limits<std::uint64_t>::max());
  CHECK(round_trip(std::numeric_limits<std::int64_t>::min()) ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(round_trip(-0.125) == -0.125);
  CHECK(round_trip(3.5f) == 3.5f);
  CHECK(round_trip(true));
  CHECK(round_trip(colour::green) == colour::green);
  CHECK(encoded(std::uint32_t{7}).size() == sizeof(std::uint32_t));  // raw, no length
}

TEST_CASE("codec: strings including empty and binary and long ones") {
  CHECK(round_trip(std::string()).empty());
  const std::string binary("a\0b\n\xff", 5);
  CHECK(round_trip(binary) == binary);
  const std::string long_text(300'000, 'x');
  CHECK(round_trip(long_text) == long_text);
}

TEST_CASE("codec: pairs and tuples and vectors and optionals and arrays nested") {
  const std::pair<std::string, std::uint64_t> word("fox", 3);
  CHECK(round_trip(word) == word);
  const std::tuple<int, std::string, double, std::optional<int>> row(1, "two", 3.0, std::nullopt);
  CHECK(round_trip(row) == row);
  CHECK(round_trip(std::tuple<>()) == std::tuple<>());

  const std::vector<double> numbers = {1.5, -2, 1e300};
  CHECK(round_trip(numbers) == numbers);
  CHECK(round_trip(std::vector<std::uint64_t>()).empty());
  const std::vector<std::string> words = {"", "a", std::string(1000, 'b')};
  CHECK(round_trip(words) == words);
  const std::vector<std::pair<std::uint64_t, std::vector<std::uint64_t>>> groups = {{1, {2, 3}},
                                                                                    {4, {}}};
  CHECK(round_trip(groups) == groups);

  CHECK(round_trip(std::optional<std::string>("x")) == std::optional<std::string>("x"));
  CHECK(round_trip(std::optional<std::string>()) == std::nullopt);
  const std::optional<std::vector<int>> some_vector = std::vector<int>{1, 2};
  CHECK(round_trip(some_vector) == some_vector);

  const std::array<double, 3> point = {1, -2, 3.25};
  CHECK(round_trip(point) == point);
  const std::array<std::string, 2> names = {"ada", ""};
  CHECK(round_trip(names) == names);
  const std::vector<std::array<double, 3>> points = {point, {0, 0, 0}};
  CHECK(round_trip(points) == points);
}

TEST_CASE("codec: a type with only a cereal serialize() goes through cereal") {
  const account a{"grace", {5, -3, 1 << 20}, 12.5};
  CHECK(round_trip(a) == a);
  const std::vector<std::pair<std::uint64_t, account>> accounts = {{1, a}, {2, {}}};
  CHECK(round_trip(accounts) == accounts);
}

TEST_CASE("codec: several values in one buffer decode in order") {
  std::string out;
  detail::encode(out, std::uint64_t{1});
  detail::encode(out, std::string("two"));
  detail::encode(out, std::pair<int, double>(3, 4.0));
  detail::reader in(out);
  CHECK(detail::decode<std::uint64_t>(in) == 1);
  CHECK(detail::decode<std::string>(in) == "two");
  CHECK(detail::decode<std::pair<int, double>>(in) == std::pair<int, double>(3, 4.0));
  CHECK(in.done());
}

TEST_CASE("codec: a truncated buffer throws decode_error and reads nothing past its end") {
  check_every_prefix_fails(std::uint64_t{42});
  check_every_prefix_fails(std::string("hello, world"));
  check_every_prefix_fails(std::pair<std::string, std::uint64_t>("key", 9));
  check_every_prefix_fails(std::tuple<int, std::string, double>(1, "two", 3.0));
  check_every_prefix_fails(std::vector<std::uint64_t>{1, 2, 3});
  check_every_prefix_fails(std::vector<std::string>{"a", "bc", ""});
  check_every_prefix_fails(std::optional<std::string>("x"));
  check_every_prefix_fails(std::array<double, 3>{1, 2, 3});
  check_every_prefix_fails(std::array<std::string, 2>{"ab", "c"});
  check_every_prefix_fails(account{"ada", {1, 2}, 0.5});
}

TEST_CASE("codec: a length beyond the message is refused before anything is allocated") {
  for (bool numbers : {true, false}) {
    std::string bytes;
    detail::put_varint(bytes, std::uint64_t{1} << 60);  // elements claimed, none present
    guarded_bytes guarded(bytes);
    detail::reader in(guarded.view());
    if (numbers)
      CHECK_THROWS_AS(detail::decode<std::vector<std::uint64_t>>(in), detail::decode_error);
    else
      CHECK_THROWS_AS(detail::decode<std::vector<std::string>>(in), detail::decode_error);
  }
  std::string string_claim;
  detail::put_varint(string_claim, 1000);
  string_claim += "short";
  detail::reader in(string_claim);
  CHECK_THROWS_AS(detail::decode<std::string>(in), detail::decode_error);
}

TEST_CASE("codec: varints round trip at every width and an endless one is refused") {
  for (std::uint64_t v :
       {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, (1ull << 63) - 1, ~0ull}) {
    std::string out;
    detail::put_varint(out, v);
    detail::reader in(out);
    CHECK(in.varint() == v);
    CHECK(in.done());
  }
  const std::string endless(11, '\x80');
  detail::reader in(endless);
  CHECK_THROWS_AS(in.varint(), detail::decode_error);
}

TEST_CASE("codec: a run of elements encodes and decodes whole, raw or element by element") {
  const std::vector<std::uint64_t> numbers = {1, 2, 0xffffffffffffffffULL};
  std::string out;
  detail::encode_all(out, std::span<const std::uint64_t>(numbers));
  CHECK(out.size() == 3 * sizeof(std::uint64_t));
  std::vector<std::uint64_t> back = {7};  // appended to
  detail::reader in(out);
  detail::decode_all(in, back);
  CHECK(back == std::vector<std::uint64_t>{7, 1, 2, 0xffffffffffffffffULL});

  const std::vector<std::pair<std::string, int>> pairs = {{"a", 1}, {"", 2}};
  out.clear();
  detail::encode_all(out, std::span<const std::pair<std::string, int>>(pairs));
  std::vector<std::pair<std::string, int>> pairs_back;
  detail::reader pairs_in(out);
  detail::decode_all(pairs_in, pairs_back);
  CHECK(pairs_back == pairs);

  std::string cut = std::string(12, '\1');  // a u64 and a half
  detail::reader cut_in(cut);
  CHECK_THROWS_AS(detail::decode_all(cut_in, back), detail::decode_error);
}
