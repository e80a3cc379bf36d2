// The handshake every connection starts with (wire/handshake.hpp), from both sides: the server
// fed what an unauthenticated client sends, and a client fed what an unauthenticated server
// replies. The first byte picks the side and how the rest is cut into reads.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/handshake.hpp"

namespace {

const std::string secret(32, 's');

// Feeds input in reads of at most chunk bytes, as a socket may deliver it. The handshake must
// never take more than it was given, and after an error or the end it takes nothing.
template <class Side>
void feed_in_reads(Side& side, std::string_view input, std::size_t chunk) {
  while (!input.empty()) {
    const auto piece = input.substr(0, chunk);
    const auto step = side.feed(piece);
    if (!step) {
      if (side.feed("x")) std::abort();  // a failed handshake stays failed
      return;
    }
    if (step->consumed > piece.size()) std::abort();
    if (side.done()) return;                          // the rest is the application's
    if (step->consumed < piece.size()) std::abort();  // not done, so it needed every byte
    input.remove_prefix(piece.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = (data[0] & 0x7f) + 1;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace constellation::wire;
  if (data[0] & 0x80) {
    handshake_client client(secret, "fabric", "client");
    client.start();
    feed_in_reads(client, input, chunk);
  } else {
    handshake_server server(secret, std::vector<std::string>{"deploy", "bridge"}, "server");
    feed_in_reads(server, input, chunk);
  }
  return 0;
}
