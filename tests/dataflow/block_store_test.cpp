// The block store: a read waits until every writer ended the attempt, then visits the partition's
// blocks in arrival order; a newer attempt replaces an older one; a lost writer fails the read
// instead of hanging it.
#include "block_store.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using constellation::dataflow::detail::block_store;

namespace {

std::vector<std::string> read_all(block_store& store, std::uint64_t shuffle,
                                  std::uint32_t partition, std::uint32_t attempt) {
  std::vector<std::string> out;
  store.read(shuffle, partition, attempt, std::nullopt,
             [&](std::string_view b) { out.emplace_back(b); });
  return out;
}

}  // namespace

TEST_CASE(
    "block_store: blocks of a partition are visited in arrival order once all writers ended") {
  block_store store(2, 1 << 30);
  store.add(1, 0, 0, "a");
  store.add(1, 0, 1, "other partition");
  store.add(1, 0, 0, "b");
  store.add(2, 0, 0, "other shuffle");
  store.end(1, 0, 0);
  store.end(1, 0, 1);
  CHECK(read_all(store, 1, 0, 0) == std::vector<std::string>{"a", "b"});
  CHECK(read_all(store, 1, 1, 0) == std::vector<std::string>{"other partition"});
  CHECK(read_all(store, 1, 5, 0).empty());  // nothing was written to it
  CHECK(store.bytes() == 2 + 15 + 13);
}

TEST_CASE("block_store: a read waits for the last writer's end") {
  block_store store(2, 1 << 30);
  store.add(1, 0, 0, "early");
  store.end(1, 0, 0);
  auto reading = std::async(std::launch::async, [&] { return read_all(store, 1, 0, 0); });
  CHECK(reading.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  store.add(1, 0, 0, "late");
  store.end(1, 0, 1);
  CHECK(reading.get() == std::vector<std::string>{"early", "late"});
}

TEST_CASE("block_store: a lost writer fails a waiting read unless it had ended") {
  block_store store(3, 1 << 30);
  store.end(1, 0, 0);
  store.end(1, 0, 2);
  store.writer_lost(2);  // ended already: nothing of it is missing
  auto reading = std::async(std::launch::async, [&] { return read_all(store, 1, 0, 0); });
  CHECK(reading.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  store.writer_lost(1);
  CHECK_THROWS_AS(reading.get(), std::runtime_error);

  store.writer_replaced(1);
  store.end(1, 0, 1);
  CHECK(read_all(store, 1, 0, 0).empty());
}

TEST_CASE("block_store: a newer attempt replaces an older one and older blocks are stale") {
  block_store store(1, 1 << 30);
  store.add(1, 0, 0, "old");
  store.end(1, 0, 0);
  store.add(1, 1, 0, "new");
  store.add(1, 0, 0, "stale");  // a late block of the old attempt
  store.end(1, 1, 0);
  CHECK(read_all(store, 1, 0, 1) == std::vector<std::string>{"new"});
  CHECK(store.bytes() == 3);
  CHECK_THROWS_AS(read_all(store, 1, 0, 0), std::runtime_error);  // rewritten since
}

TEST_CASE("block_store: drop frees a shuffle's blocks and forgets its ends") {
  block_store store(1, 1 << 30);
  store.add(1, 0, 0, "one");
  store.add(1, 0, 3, "three");
  store.add(2, 0, 0, "kept");
  store.end(1, 0, 0);
  store.drop(1);
  CHECK(store.bytes() == 4);
  auto reading = std::async(std::launch::async, [&] { return read_all(store, 1, 0, 0); });
  CHECK(reading.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  store.end(1, 0, 0);
  CHECK(reading.get().empty());
}

TEST_CASE("block_store: blocks beyond the memory limit wait on disk and read back the same") {
  block_store store(1, 10);
  const std::string big(1000, 'x');
  store.add(1, 0, 0, "small");
  store.add(1, 0, 0, big);
  store.add(1, 0, 0, "tail");
  store.end(1, 0, 0);
  CHECK(read_all(store, 1, 0, 0) == std::vector<std::string>{"small", big, "tail"});
  CHECK(store.bytes() <= 10);
  CHECK(store.spilled_bytes() >= 1000);
  store.drop(1);
  CHECK(store.bytes() == 0);
}

TEST_CASE("block_store: a read waiting for writers gives up once it is abandoned") {
  block_store store(2, 1 << 30);
  store.end(1, 0, 0);  // the second writer never ends: its driver is gone
  CHECK_THROWS_AS(store.read(
                      1, 0, 0, std::nullopt, [](std::string_view) {}, [] { return true; }),
                  std::runtime_error);
}

TEST_CASE(
    "block_store: a read of one side visits only the blocks that side wrote, in memory and on "
    "disk") {
  block_store store(1, 12);
  const std::string left_big = std::string(1, '\0') + std::string(100, 'l');
  store.add(1, 0, 0, std::string("\0left", 5));
  store.add(1, 0, 0, std::string("\1right", 6));
  store.add(1, 0, 0, left_big);  // beyond the limit: on disk
  store.add(1, 0, 0, std::string("\1more", 5));
  store.end(1, 0, 0);
  std::vector<std::string> left, right;
  store.read(1, 0, 0, std::uint8_t(0), [&](std::string_view b) { left.emplace_back(b); });
  store.read(1, 0, 0, std::uint8_t(1), [&](std::string_view b) { right.emplace_back(b); });
  CHECK(left == std::vector<std::string>{std::string("\0left", 5), left_big});
  CHECK(right == std::vector<std::string>{std::string("\1right", 6), std::string("\1more", 5)});
  CHECK(store.spilled_bytes() > 0);
}
