#pragma once
// A single-producer, single-consumer byte ring in memory that two processes share, and the pair of
// rings one channel link between two processes on the same host uses (one per direction).
//
// Layout of the shared region (a memfd of shm_link_bytes(capacity) bytes, mapped by both peers):
//   ring 0 (written by the accepting side), then ring 1 (written by the connecting side); each is
//   a ring_header (one cache line per side's counter) followed by `capacity` data bytes.
// Positions only grow; a position modulo capacity is an offset in the data. The producer publishes
// bytes by a release store of `tail` after copying them; the consumer frees room by a release
// store of `head` after copying them out.
//
// Waking: a side about to sleep sets its `*_sleeping` flag, issues a full fence and looks at the
// ring once more; the other side, after publishing, issues a full fence and, if the flag is set,
// clears it and rings the doorbell (a byte on the link's socket, so that every existing wait on
// the socket wakes for it). Either the sleeper sees the change or the other side sees the flag.
//
// No I/O here and no knowledge of frames: the channel transport moves frame bytes through it as it
// would through a socket. Not a goal: more than one producer or consumer per ring.

#include "posix/unique_fd.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace constellation::channel {

struct ring_header {
  static constexpr std::uint64_t expected_magic = 0x636f6e73746c7232;  // "constlr2"
  std::uint64_t magic;
  std::uint64_t capacity;
  // A line each: a side's counter changes with every write or read, a sleeping flag seldom, and
  // the other side reads the flag after every publication; sharing a line with the counter would
  // cost that side a cache miss each time.
  alignas(64) std::atomic<std::uint64_t> tail;             // the producer's
  alignas(64) std::atomic<std::uint32_t> writer_sleeping;  // the producer waits for room
  alignas(64) std::atomic<std::uint64_t> head;             // the consumer's
  alignas(64) std::atomic<std::uint32_t> reader_sleeping;  // the consumer waits for bytes
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "the shared rings need lock-free atomics: they are used by two processes");

// One direction of a link, as one of its two sides sees it.
class shm_ring {
 public:
  // The most either side copies before it publishes its position.
  static constexpr std::size_t publish_piece = 64 * 1024;

  shm_ring() = default;
  shm_ring(ring_header* header, char* data)
      : header_(header), data_(data), capacity_(header->capacity) {}

  // Producer side.
  std::size_t room() const;
  // Copies as much of [data, data + size) as fits and publishes it. Returns the bytes taken.
  std::size_t write_some(const void* data, std::size_t size);
  // After publishing: true when the consumer sleeps and must be woken (the flag is cleared).
  bool consumer_needs_wake();
  // Before the producer sleeps for room: true when room came meanwhile (do not sleep).
  bool producer_sleeps_unless_room();

  // Consumer side.
  std::size_t available() const;
  // Copies up to `room` published bytes into `into` and frees their space. Returns the bytes
  // copied.
  std::size_t read_some(void* into, std::size_t room);
  // After freeing room: true when the producer waits for room and must be woken.
  bool producer_needs_wake();
  // Before the consumer sleeps: true when bytes came meanwhile (do not sleep).
  bool consumer_sleeps_unless_available();

  std::size_t capacity() const { return capacity_; }

 private:
  ring_header* header_ = nullptr;
  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  // The producer's last look at `head`: room it knows of without touching the consumer's line.
  std::uint64_t known_head_ = 0;
};

// Bytes of the shared region for two rings of `capacity` data bytes each.
std::size_t shm_link_bytes(std::size_t capacity);

// Both directions of one link, mapped in this process; unmapped when destroyed.
class shm_link {
 public:
  // The accepting side: a new sealed memfd holding two empty rings. Returns the link and the
  // descriptor to hand to the peer (the caller holds it until sent).
  static std::pair<std::unique_ptr<shm_link>, posix::unique_fd> create(std::size_t capacity,
                                                                       std::string& error);
  // The connecting side: maps the region the peer handed over, checking its size, seals and
  // headers (a region that could shrink under us would fault us). Does not take the descriptor.
  static std::unique_ptr<shm_link> attach(int fd, std::string& error);

  ~shm_link();
  shm_link(const shm_link&) = delete;
  shm_link& operator=(const shm_link&) = delete;

  shm_ring& out() { return out_; }
  shm_ring& in() { return in_; }

 private:
  shm_link(void* base, std::size_t bytes, bool accepting);
  void* base_;
  std::size_t bytes_;
  shm_ring out_, in_;
};

// What a process does with channels to peers on its own host: CONSTELLATION_CHANNELS=tcp keeps
// every link on TCP; anything else (the default) uses shared memory where the peer allows it.
bool shared_memory_enabled();

}  // namespace constellation::channel
