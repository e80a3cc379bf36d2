#pragma once
// The same-host baseline of the channel benchmarks: the fastest two processes can talk, a
// single-producer single-consumer ring per direction in shared memory with both sides spinning,
// and nothing else (no framing, no types, no liveness, no sleeping). Written here, independently
// of the library, so that the channel is compared with what a hand-written ring achieves.
//
// The peer is a fork() of the benchmark: it touches only the shared mapping and ends with
// _exit(), which is safe in a child of a process with threads.

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

class spinning_ring {
 public:
  static constexpr std::size_t capacity = 4 * 1024 * 1024;

  void write(const char* data, std::size_t size) {
    while (size > 0) {
      const auto t = tail_.load(std::memory_order_relaxed);
      std::size_t room;
      while ((room = capacity -
                     static_cast<std::size_t>(t - head_.load(std::memory_order_acquire))) == 0) {
      }
      const std::size_t n =
          std::min({room, size, capacity - static_cast<std::size_t>(t % capacity)});
      std::memcpy(data_ + t % capacity, data, n);
      tail_.store(t + n, std::memory_order_release);
      data += n;
      size -= n;
    }
  }

  // nap_after_spins: 0 spins for ever; otherwise, after that many empty looks, the reader sleeps
  // a millisecond between looks, so that a peer idle between benchmark blocks leaves the cores to
  // others.
  void read(char* into, std::size_t size, std::uint64_t nap_after_spins = 0) {
    while (size > 0) {
      const auto h = head_.load(std::memory_order_relaxed);
      std::size_t ready;
      std::uint64_t spins = 0;
      while ((ready = static_cast<std::size_t>(tail_.load(std::memory_order_acquire) - h)) == 0) {
        if (nap_after_spins && ++spins > nap_after_spins) ::usleep(1000);
      }
      const std::size_t n =
          std::min({ready, size, capacity - static_cast<std::size_t>(h % capacity)});
      std::memcpy(into, data_ + h % capacity, n);
      head_.store(h + n, std::memory_order_release);
      into += n;
      size -= n;
    }
  }

 private:
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) char data_[capacity];
};

// Two rings in memory shared with a forked peer running peer_main(to_peer, from_peer).
class ring_peer {
 public:
  template <class PeerMain>
  explicit ring_peer(PeerMain peer_main) {
    void* shared = ::mmap(nullptr, 2 * sizeof(spinning_ring), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
      std::perror("mmap");
      std::exit(1);
    }
    to_peer_ = new (shared) spinning_ring;
    from_peer_ = new (static_cast<spinning_ring*>(shared) + 1) spinning_ring;
    child_ = ::fork();
    if (child_ == 0) {
      peer_main(*to_peer_, *from_peer_);
      ::_exit(0);
    }
  }
  ~ring_peer() {
    int status = 0;
    ::waitpid(child_, &status, 0);
    ::munmap(to_peer_, 2 * sizeof(spinning_ring));
  }
  ring_peer(const ring_peer&) = delete;
  ring_peer& operator=(const ring_peer&) = delete;

  spinning_ring& to_peer() { return *to_peer_; }
  spinning_ring& from_peer() { return *from_peer_; }

 private:
  spinning_ring* to_peer_;
  spinning_ring* from_peer_;
  pid_t child_ = -1;
};

}  // namespace bench
