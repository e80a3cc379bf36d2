#pragma once
// A serialized message on its way out, whose large contiguous blocks may stay in the caller's
// memory: a blocking send writes them to the socket from where the value holds them, so that a
// large message is not copied before the kernel copies it.

#include <cstddef>
#include <string>
#include <vector>

namespace constellation::detail {

// size bytes at data, which belong at offset of the message's own bytes. Valid only while the
// send that carries them runs.
struct borrowed_bytes {
  std::size_t offset;
  const char* data;
  std::size_t size;
};

// Blocks at least this large are borrowed rather than copied: below it a copy costs less than
// another entry in the socket write.
inline constexpr std::size_t borrow_threshold = 64 * 1024;

struct outgoing_message {
  std::string bytes;  // the frame header's room, then the value's bytes, borrowed blocks left out
  std::vector<borrowed_bytes> borrowed;
  std::size_t borrowed_size = 0;
  std::size_t size() const { return bytes.size() + borrowed_size; }
};

}  // namespace constellation::detail
