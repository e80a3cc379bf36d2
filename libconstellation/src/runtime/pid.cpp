#include <constellation/pid.hpp>

#include "runtime/pid_access.hpp"

#include <cstdio>
#include <ostream>

namespace constellation {

namespace {
// A bijection of the 28-bit serial space chosen by the job: serials 1, 2, 3... of one job print
// as seven distinct hex characters that do not look alike, and two jobs print differently.
std::uint32_t scramble_serial(std::uint64_t job, std::uint32_t serial) {
  constexpr std::uint32_t mask = (1u << 28) - 1;
  std::uint32_t x = (serial + static_cast<std::uint32_t>(job)) & mask;
  x = (x * 0x2c1b3c6du) & mask;  // odd multiplier: invertible modulo 2^28
  x ^= x >> 13;                  // xor-shift: invertible
  x = (x * 0x297a2d39u) & mask;
  x ^= x >> 11;
  return x;
}
}  // namespace

pid detail::pid_access::make(std::uint64_t job, std::uint32_t serial, std::uint32_t ipv4,
                             std::uint16_t port) {
  pid p;
  p.job_ = job;
  p.serial_ = serial;
  p.ipv4_ = ipv4;
  p.port_ = port;
  return p;
}

std::string pid::to_string() const {
  char text[16];
  std::snprintf(text, sizeof text, "%07x", job_ == 0 ? 0u : scramble_serial(job_, serial_));
  return text;
}

std::ostream& operator<<(std::ostream& out, const pid& p) {
  return out << p.to_string();
}

}  // namespace constellation

std::size_t std::hash<constellation::pid>::operator()(const constellation::pid& p) const noexcept {
  using access = constellation::detail::pid_access;
  return std::hash<std::uint64_t>{}(access::job(p) ^
                                    (std::uint64_t{access::serial(p)} * 0x9e3779b97f4a7c15ull));
}
