#pragma once
// What the dataflow scenarios share: the workers they ask for (small enough for the test cluster)
// and a tally of checks that prints each one and the verdict.

#include <constellation/dataflow.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace e2e::dataflow {

inline constellation::dataflow::options small_workers(std::size_t workers = 2) {
  constellation::dataflow::options o;
  o.workers = workers;
  o.worker = {.mem = 256 * constellation::MiB, .cpu = 0.25};
  o.progress = false;
  return o;
}

class tally {
 public:
  void check(const std::string& name, bool ok) {
    std::cout << (ok ? "ok " : "WRONG ") << name << "\n";
    failed_ += ok ? 0 : 1;
    ++checks_;
  }
  template <class T>
  void same(const std::string& name, const std::vector<T>& got, const std::vector<T>& expected) {
    check(name, got == expected);
  }
  // Equal as multisets: for results whose order nothing promises.
  template <class T>
  void same_items(const std::string& name, std::vector<T> got, std::vector<T> expected) {
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    check(name, got == expected);
  }
  int verdict() const {
    if (failed_ == 0)
      std::cout << "all " << checks_ << " checks agree" << std::endl;
    else
      std::cout << failed_ << " of " << checks_ << " checks failed" << std::endl;
    return failed_ == 0 ? 0 : 1;
  }

 private:
  int checks_ = 0;
  int failed_ = 0;
};

}  // namespace e2e::dataflow
