#pragma once
// What cluster_spawn measures in the process it runs in, and how a deployed run hands its figures
// back to the local top: one line on its standard output, found in constellation-deploy's output.

#include <optional>
#include <string>
#include <string_view>

namespace cluster_spawn {

struct spawn_figures {
  int rounds = 0;                              // sequential spawns counted
  double p50_us = 0, p99_us = 0, mean_us = 0;  // from spawn() until the child's byte arrived
  int burst = 0;                               // spawns issued at once, from several threads
  double spawns_per_s = 0;                     // burst / time until every burst child had answered
};

// Runs warm-up spawns, then rounds sequential spawns, then one burst of burst spawns. Every spawned
// process connects to 127.0.0.1 (every node of a loopback cluster reaches it) and sends one byte.
// Exits the program when a child does not answer within 10 s; throws spawn_error from spawn().
spawn_figures measure_spawns(int rounds, int burst);

// The line a deployed run prints, and its inverse: the first such line within text (the
// deployment's whole output, prefixes and all), or nullopt.
std::string figures_line(const spawn_figures& f);
std::optional<spawn_figures> find_figures_line(std::string_view text);

}  // namespace cluster_spawn
