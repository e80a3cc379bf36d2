#pragma once
// The programs the cluster tests deploy, compiled into one binary (cluster_programs MODE): one
// binary is built and transferred once, whichever mode a test runs.
//
// A program reports on its top process's stdout, one line per fact ("spawned A 1e04cc5"), and
// waits for a line on its stdin (forwarded by constellation-deploy) where the test must look at
// the cluster while its processes run: placement and capacity are then checked through
// `constellation-deploy status`, which lists each node's processes.

#include <constellation/constellation.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace cluster_programs {

// Three children that fit only on different nodes of the test cluster; each holds its resources
// until the top reads a line. Exits 0, or 3 when a child could not be started or was lost
// meanwhile. Stubborn: every process of the job ignores SIGINT, SIGTERM and SIGHUP. With
// cue_before_last it prints "C on cue" and waits for a line on stdin before it spawns C, so that a
// test can act between B and C whatever the time each spawn takes.
int spread(bool stubborn, bool cue_before_last = false);
// count children of a whole core each, which fit one per node on the scale test's cluster; each
// holds until the top reads a line. Exits 0, or 3 when a child could not be started or was lost.
int fan_out(std::size_t count);
// Fills every node, shows try_spawn refusing, then a spawn that waits until a line on stdin frees
// room. Exits 0.
int capacity();
// try_spawn and spawn of processes no node can ever hold. Exits 0 when both refuse as documented.
int never_fits();
// A child that allocates far beyond its memory, beside two neighbours that must finish. Exits 0.
int memory_hog();
// A child H that starts two helpers (one leaves its process group) and prints
// "helpers PID PID monitor PID", for a test that kills H's monitor; exits 0 at a line on stdin.
int abandoned_helpers();
// One child says hello. Exits 0.
int hello();
// count children, one after another, each ending as soon as it started. Exits 0.
int short_lived(std::size_t count);

// Prints "ready", then never reads stdin; runs until the job is ended.
int stdin_ignored();
// Prints "ready", reads stdin to its end slowly (a pause after each read), then prints
// "read N bytes, fnv1a HASH" (hash: fnv1a over every byte, 16 hex digits). Exits 0.
int stdin_checksum();
// Writes lines flood_line(0) ... flood_line(lines - 1) to stdout as fast as stdout takes them.
// Exits 0.
int output_flood(std::uint64_t lines);

// A child T on the first node prints "target SYSTEM_PID PID_HEX" (its pid serialized, in hex) and
// the top "ready"; at a line on stdin, a child beside T and one on the second node each send T 41,
// and the top prints "near answered N" and "far answered N" (42 when T is well). Exits 0.
int channel_target();

// FNV-1a, 64 bits: the checksum stdin_checksum prints, for the test to compute the same.
inline constexpr std::uint64_t fnv1a_basis = 14695981039346656037ull;
inline std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}
// Line i of output_flood: 64 bytes, its number first, so that a line lost, doubled or out of
// order shows.
inline void flood_line(std::uint64_t i, std::string& line) {
  char text[96];
  std::snprintf(text, sizeof text, "%012llu the quick brown fox jumps over the lazy dog ......\n",
                static_cast<unsigned long long>(i));
  line.assign(text, 64);
}

// What each mode's top process asks for (init's argument).
inline constexpr constellation::resources small_top{.mem = 64 * constellation::MiB, .cpu = 0.0625};
// More memory than any node of the test cluster has: the top process itself can never start.
inline constexpr constellation::resources huge_top{.mem = 3 * constellation::GiB, .cpu = 0.0625};

}  // namespace cluster_programs
