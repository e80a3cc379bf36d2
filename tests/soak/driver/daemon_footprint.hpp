#pragma once
// The cluster's daemons and what each holds: open descriptors and resident memory, measured once
// the cluster is quiet, to be compared before and after the soak.

#include "fixture/local_cluster.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace soak {

struct daemon_figures {
  std::string name;  // "node0 fabric", "bridge"
  pid_t pid = -1;
  std::size_t descriptors = 0;
  std::uint64_t resident = 0;  // bytes
};

// Each node's fabric and the bridge, as they are now (a single sample).
std::vector<daemon_figures> sample_daemons(const cluster_test::local_cluster& cluster);

// The least of each figure over samples taken 200 ms apart for about two seconds: a connection or
// a buffer held for a moment by a query in flight is not what a leak looks like.
std::vector<daemon_figures> quiet_daemons(const cluster_test::local_cluster& cluster);

// How much a figure may grow without counting as growth: allocators keep some freed memory, and
// a daemon may keep a cached connection or file open.
inline constexpr std::size_t descriptor_allowance = 8;
inline constexpr std::uint64_t resident_allowance_floor = 16ull << 20;  // or a quarter, if larger

// One line per problem: a daemon that went or was replaced, a figure that grew beyond its
// allowance.
std::vector<std::string> compare_daemons(const std::vector<daemon_figures>& before,
                                         const std::vector<daemon_figures>& after);

}  // namespace soak
