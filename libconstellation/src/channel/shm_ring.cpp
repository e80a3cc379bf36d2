#include "channel/shm_ring.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

namespace constellation::channel {

namespace {

// The header occupies whole cache lines, so that the data starts on one.
constexpr std::size_t header_bytes = (sizeof(ring_header) + 63) / 64 * 64;

std::size_t ring_bytes(std::size_t capacity) {
  return header_bytes + capacity;
}

}  // namespace

// ---- shm_ring ----

std::size_t shm_ring::room() const {
  const auto tail = header_->tail.load(std::memory_order_relaxed);
  const auto head = header_->head.load(std::memory_order_acquire);
  const auto used = static_cast<std::size_t>(tail - head);
  return used > capacity_ ? 0 : capacity_ - used;  // a peer's garbage never makes room
}

std::size_t shm_ring::write_some(const void* data, std::size_t size) {
  auto tail = header_->tail.load(std::memory_order_relaxed);
  auto known_room = [&] {
    const auto used = static_cast<std::size_t>(tail - known_head_);
    return used > capacity_ ? 0 : capacity_ - used;
  };
  if (known_room() < size) known_head_ = header_->head.load(std::memory_order_acquire);
  const std::size_t n = std::min(known_room(), size);
  // Published a piece at a time, so that the consumer copies out one piece while the next is
  // copied in: a large message streams through the ring instead of crossing it in two turns.
  for (std::size_t done = 0; done < n;) {
    const std::size_t at = static_cast<std::size_t>(tail % capacity_);
    const std::size_t piece = std::min({n - done, capacity_ - at, publish_piece});
    std::memcpy(data_ + at, static_cast<const char*>(data) + done, piece);
    tail += piece;
    done += piece;
    header_->tail.store(tail, std::memory_order_release);
  }
  return n;
}

bool shm_ring::consumer_needs_wake() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return header_->reader_sleeping.load(std::memory_order_relaxed) != 0 &&
         header_->reader_sleeping.exchange(0, std::memory_order_relaxed) != 0;
}

bool shm_ring::producer_sleeps_unless_room() {
  header_->writer_sleeping.store(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return room() > 0;
}

std::size_t shm_ring::available() const {
  const auto head = header_->head.load(std::memory_order_relaxed);
  const auto tail = header_->tail.load(std::memory_order_acquire);
  return static_cast<std::size_t>(tail - head);
}

std::size_t shm_ring::read_some(void* into, std::size_t room) {
  auto head = header_->head.load(std::memory_order_relaxed);
  const auto tail = header_->tail.load(std::memory_order_acquire);
  // A peer can only hurt itself by writing garbage positions, but never make us read outside the
  // ring: clamp what it claims.
  const std::size_t published =
      std::min<std::size_t>(static_cast<std::size_t>(tail - head), capacity_);
  const std::size_t n = std::min(published, room);
  // Room is freed a piece at a time, for the producer to fill while the rest is copied out.
  for (std::size_t done = 0; done < n;) {
    const std::size_t at = static_cast<std::size_t>(head % capacity_);
    const std::size_t piece = std::min({n - done, capacity_ - at, publish_piece});
    std::memcpy(static_cast<char*>(into) + done, data_ + at, piece);
    head += piece;
    done += piece;
    header_->head.store(head, std::memory_order_release);
  }
  return n;
}

bool shm_ring::producer_needs_wake() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return header_->writer_sleeping.load(std::memory_order_relaxed) != 0 &&
         header_->writer_sleeping.exchange(0, std::memory_order_relaxed) != 0;
}

bool shm_ring::consumer_sleeps_unless_available() {
  header_->reader_sleeping.store(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return available() > 0;
}

// ---- shm_link ----

std::size_t shm_link_bytes(std::size_t capacity) {
  return 2 * ring_bytes(capacity);
}

shm_link::shm_link(void* base, std::size_t bytes, bool accepting) : base_(base), bytes_(bytes) {
  auto* region = static_cast<char*>(base);
  const std::size_t capacity = bytes / 2 - header_bytes;
  auto ring_at = [&](std::size_t index) {
    char* start = region + index * ring_bytes(capacity);
    return shm_ring(reinterpret_cast<ring_header*>(start), start + header_bytes);
  };
  out_ = ring_at(accepting ? 0 : 1);
  in_ = ring_at(accepting ? 1 : 0);
}

shm_link::~shm_link() {
  ::munmap(base_, bytes_);
}

std::pair<std::unique_ptr<shm_link>, posix::unique_fd> shm_link::create(std::size_t capacity,
                                                                        std::string& error) {
  posix::unique_fd fd(::memfd_create("constellation-channel", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) {
    error = std::string("memfd_create: ") + std::strerror(errno);
    return {};
  }
  const std::size_t bytes = shm_link_bytes(capacity);
  if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0 ||
      ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    error = std::string("sizing the shared ring: ") + std::strerror(errno);
    return {};
  }
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (base == MAP_FAILED) {
    error = std::string("mapping the shared ring: ") + std::strerror(errno);
    return {};
  }
  for (std::size_t index = 0; index < 2; ++index) {
    auto* header = new (static_cast<char*>(base) + index * ring_bytes(capacity)) ring_header{};
    header->magic = ring_header::expected_magic;
    header->capacity = capacity;
  }
  return {std::unique_ptr<shm_link>(new shm_link(base, bytes, true)), std::move(fd)};
}

std::unique_ptr<shm_link> shm_link::attach(int fd, std::string& error) {
  struct stat info {};
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (::fstat(fd, &info) != 0 || seals < 0 ||
      (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
    error = "the peer's ring is not a sealed shared-memory region";
    return nullptr;
  }
  const auto bytes = static_cast<std::size_t>(info.st_size);
  if (bytes < shm_link_bytes(64) || bytes % 2 != 0 ||
      bytes > shm_link_bytes(std::size_t{1} << 30)) {
    error = "the peer's ring has an impossible size of " + std::to_string(bytes) + " bytes";
    return nullptr;
  }
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    error = std::string("mapping the peer's ring: ") + std::strerror(errno);
    return nullptr;
  }
  const std::size_t capacity = bytes / 2 - header_bytes;
  for (std::size_t index = 0; index < 2; ++index) {
    const auto* header = reinterpret_cast<const ring_header*>(static_cast<char*>(base) +
                                                              index * ring_bytes(capacity));
    if (header->magic != ring_header::expected_magic || header->capacity != capacity) {
      ::munmap(base, bytes);
      error = "the peer's ring has a bad header";
      return nullptr;
    }
  }
  return std::unique_ptr<shm_link>(new shm_link(base, bytes, false));
}

bool shared_memory_enabled() {
  static const bool enabled = [] {
    const char* mode = std::getenv("CONSTELLATION_CHANNELS");
    return !(mode && std::strcmp(mode, "tcp") == 0);
  }();
  return enabled;
}

}  // namespace constellation::channel
