// Arguments of many types reach a spawned free function or captureless lambda by value and
// unchanged, and the first parameter is the parent's pid.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <charconv>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

// A user type that cereal serializes through its serialize() member.
struct point {
  int x = 0;
  int y = 0;
  std::string label;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(x, y, label);
  }
};

std::string exact(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

void free_function(constellation::pid parent, int i, double d, std::string s, std::vector<int> v,
                   point p, std::map<std::string, int> m) {
  std::cout << "parent " << parent << "\n";
  std::cout << "int " << i << "\n";
  std::cout << "double " << exact(d) << "\n";
  std::cout << "string " << s << " (" << s.size() << " bytes)\n";
  std::cout << "vector";
  for (int e : v) std::cout << " " << e;
  std::cout << "\n";
  std::cout << "point " << p.x << "," << p.y << " " << p.label << "\n";
  std::cout << "map";
  for (const auto& [key, value] : m) std::cout << " " << key << "=" << value;
  std::cout << "\n";
}

}  // namespace

CONSTELLATION_SCENARIO(spawn_arguments) {
  constellation::spawn({}, free_function, -42, 0.1 + 0.2, "text",
                       std::vector<int>{3, 1, 4, 1, 5, 9}, point{-7, 8, "a point"},
                       std::map<std::string, int>{{"one", 1}, {"two", 2}, {"", 0}});
  // A string with a NUL byte and a vector that is empty, through a lambda; the parent by const&.
  constellation::spawn(
      {},
      [](const constellation::pid& parent, std::string s, std::vector<int> v, bool b,
         std::uint64_t big, char c) {
        std::cout << "lambda parent " << parent << "\n";
        std::cout << "string of " << s.size() << " bytes, byte 3 is " << static_cast<int>(s[3])
                  << "\n";
        std::cout << "vector of " << v.size() << "\n";
        std::cout << "bool " << std::boolalpha << b << " uint64 " << big << " char " << c << "\n";
      },
      std::string("abc\0def", 7), std::vector<int>{}, true, (std::uint64_t{1} << 63) + 1, 'z');
  // A lambda without arguments beyond the parent.
  constellation::spawn({}, [](constellation::pid parent) {
    std::cout << "no arguments, parent " << parent << "\n";
  });
  return 0;
}
