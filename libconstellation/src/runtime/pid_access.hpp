#pragma once
#include <constellation/pid.hpp>
#include <cstdint>
namespace constellation::detail {
struct pid_access {
  static pid make(std::uint64_t job, std::uint32_t serial, std::uint32_t ipv4, std::uint16_t port);
  static std::uint64_t job(const pid& p) { return p.job_; }
  static std::uint32_t serial(const pid& p) { return p.serial_; }
  static std::uint32_t ipv4(const pid& p) { return p.ipv4_; }
  static std::uint16_t port(const pid& p) { return p.port_; }
};
}  // namespace constellation::detail
