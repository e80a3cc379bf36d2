#pragma once
// A process's name, unique across the cluster and over time.

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace constellation {

namespace detail {
struct pid_access;
}

// A regular value. The default-constructed pid is the null pid, which names no process.
// A pid identifies its job (a random 64-bit number drawn when the top process starts) and the
// process's serial number within that job; it also carries the endpoint where the process accepts
// channel connections, so that a pid is all a peer needs to reach it.
class pid {
 public:
  constexpr pid() = default;

  // Seven lowercase hexadecimal characters, distinct for every process of a job.
  std::string to_string() const;

  explicit constexpr operator bool() const noexcept { return job_ != 0; }

  friend constexpr bool operator==(const pid&, const pid&) = default;
  friend constexpr auto operator<=>(const pid&, const pid&) = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(job_, serial_, ipv4_, port_);
  }

 private:
  friend struct detail::pid_access;
  std::uint64_t job_ = 0;
  std::uint32_t serial_ = 0;
  std::uint32_t ipv4_ = 0;  // host byte order
  std::uint16_t port_ = 0;
};

std::ostream& operator<<(std::ostream& out, const pid& p);

}  // namespace constellation

template <>
struct std::hash<constellation::pid> {
  std::size_t operator()(const constellation::pid& p) const noexcept;
};
