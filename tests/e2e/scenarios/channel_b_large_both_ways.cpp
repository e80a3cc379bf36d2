// Two processes stream large composite values to each other at once, each sending from a thread
// of its own while its main thread receives: large blocks (strings, vectors) interleaved with
// small fields arrive intact and in order both ways, blocking and async sends alike, and neither
// side stalls while both directions are busy.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdint>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace constellation::literals;

namespace {

constexpr int count = 24;

// Fields of 64 KiB and more are written from where the value holds them; the small ones between
// them are copied: the receiver must see them all in their places.
struct bundle {
  std::string head;
  std::vector<double> samples;
  int index = 0;
  std::vector<char> blob;
  std::string tail;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(head, samples, index, blob, tail);
  }
  bool operator==(const bundle&) const = default;
};

bundle make_bundle(int index, char who) {
  bundle b;
  b.head = std::string(100'000 + static_cast<std::size_t>(index), who);
  b.samples.resize(40'000 + static_cast<std::size_t>(index) * 1000);
  for (std::size_t i = 0; i < b.samples.size(); ++i)
    b.samples[i] = static_cast<double>(i) * 0.5 + index;
  b.index = index;
  b.blob.resize(300'000);
  for (std::size_t i = 0; i < b.blob.size(); ++i)
    b.blob[i] = static_cast<char>((i * 7 + static_cast<std::size_t>(index)) & 0xff);
  b.tail = "end of " + std::to_string(index);
  return b;
}

// Sends count bundles from a thread, half blocking and half async, while this thread receives
// count bundles from peer; says how many arrived intact.
void exchange(constellation::pid peer, char mine, char theirs) {
  std::thread sending([peer, mine] {
    constellation::sender<bundle> out(peer);
    boost::asio::io_context io;
    for (int i = 0; i < count; ++i) {
      if (i % 2 == 0) {
        out.send(make_bundle(i, mine));
      } else {
        auto done = out.async_send(make_bundle(i, mine), boost::asio::use_future);
        io.run();
        io.restart();
        done.get();
      }
    }
  });
  constellation::receiver<bundle> in(peer);
  int intact = 0;
  for (int i = 0; i < count; ++i) intact += in.recv() == make_bundle(i, theirs) ? 1 : 0;
  sending.join();
  std::cout << intact << " of " << count << " intact" << std::endl;
}

void child_side(constellation::pid parent) {
  exchange(parent, 'c', 'p');
}

void parent_side(constellation::pid) {
  const auto child = constellation::spawn({.mem = 256_MiB, .cpu = 0.5}, child_side);
  exchange(child, 'p', 'c');
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_large_both_ways) {
  constellation::spawn({.mem = 256_MiB, .cpu = 0.5}, parent_side);
  return 0;
}
