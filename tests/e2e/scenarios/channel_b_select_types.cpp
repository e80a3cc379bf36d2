// select() over a receiver<int>, a receiver<std::string> and a receiver<double>, from three
// children sending 5 values each: every message comes out exactly once. A receiver leaves the
// select once its 5 have come, since select() throws for a drained receiver whose sender exited,
// which the end shows.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <map>
#include <string>
#include <variant>

using namespace constellation::literals;

namespace {

void send_ints(constellation::pid parent) {
  constellation::sender<int> out(parent);
  for (int i = 0; i < 5; ++i) out.send(i);
}

void send_strings(constellation::pid parent) {
  constellation::sender<std::string> out(parent);
  for (int i = 0; i < 5; ++i) out.send("s" + std::to_string(i));
}

void send_doubles(constellation::pid parent) {
  constellation::sender<double> out(parent);
  for (int i = 0; i < 5; ++i) out.send(i + 0.5);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_select_types) {
  constellation::receiver<int> ints(constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, send_ints));
  constellation::receiver<std::string> strings(
      constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, send_strings));
  constellation::receiver<double> doubles(
      constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, send_doubles));

  std::map<int, int> seen_ints;
  std::map<std::string, int> seen_strings;
  std::map<double, int> seen_doubles;
  int n_int = 0, n_string = 0, n_double = 0;
  auto handle = [&](auto&& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, int>)
      ++seen_ints[v], ++n_int;
    else if constexpr (std::is_same_v<V, std::string>)
      ++seen_strings[v], ++n_string;
    else
      ++seen_doubles[v], ++n_double;
  };
  auto take = [&](auto&... from) { std::visit(handle, constellation::select(from...)); };
  int selects = 0;
  while (n_int < 5 || n_string < 5 || n_double < 5) {
    ++selects;
    const bool i = n_int < 5, s = n_string < 5, d = n_double < 5;
    if (i && s && d)
      take(ints, strings, doubles);
    else if (i && s)
      take(ints, strings);
    else if (i && d)
      take(ints, doubles);
    else if (s && d)
      take(strings, doubles);
    else if (i)
      take(ints);
    else if (s)
      take(strings);
    else
      take(doubles);
  }
  bool once = seen_ints.size() == 5 && seen_strings.size() == 5 && seen_doubles.size() == 5;
  for (int k = 0; k < 5; ++k) {
    once = once && seen_ints[k] == 1 && seen_strings["s" + std::to_string(k)] == 1 &&
           seen_doubles[k + 0.5] == 1;
  }
  std::cout << selects << " selects: " << n_int << " int, " << n_string << " string, " << n_double
            << " double, each value " << (once ? "exactly once" : "NOT exactly once") << std::endl;

  // Drained, and its sender exits: select() over it throws exited.
  try {
    constellation::select(ints);
    std::cout << "select over the drained int receiver returned" << std::endl;
  } catch (const constellation::channel_error& e) {
    std::cout << "select over the drained int receiver threw "
              << (e.reason() == constellation::channel_errc::exited ? "exited" : e.what())
              << std::endl;
  }
  return 0;
}
