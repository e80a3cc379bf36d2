#pragma once
// The ten narrow steps of the fusion benchmark: seven maps and three filters over u64, each cheap
// (a multiply, a shift, a compare), so that any per-element or per-step cost of the framework
// shows next to the loop that does all ten at once. The filters keep about 15/16, 7/8 and 2/3.

#include <bit>
#include <cstdint>

namespace bench::dataflow::chain {

using u64 = std::uint64_t;

inline u64 step1(const u64& x) {
  return x * 6364136223846793005ULL + 1442695040888963407ULL;
}
inline bool keep2(const u64& x) {
  return (x >> 60) != 0;
}
inline u64 step3(const u64& x) {
  return x ^ (x >> 29);
}
inline u64 step4(const u64& x) {
  return x * 0xbf58476d1ce4e5b9ULL;
}
inline bool keep5(const u64& x) {
  return (x & 7) != 0;
}
inline u64 step6(const u64& x) {
  return x ^ (x >> 32);
}
inline u64 step7(const u64& x) {
  return std::rotl(x, 17);
}
inline bool keep8(const u64& x) {
  return x % 3 != 0;
}
inline u64 step9(const u64& x) {
  return x * 0x94d049bb133111ebULL;
}
inline u64 step10(const u64& x) {
  return x >> 8;
}

inline u64 add(const u64& a, const u64& b) {
  return a + b;
}

}  // namespace bench::dataflow::chain
