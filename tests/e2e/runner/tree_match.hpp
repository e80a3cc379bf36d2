#pragma once
// Comparing a rebuilt process tree with the expected one. Children are an unordered multiset: the
// expected children (each repeated `count` times) must match the actual children one to one,
// which is found as a maximum bipartite matching, so that the order of the entries in the
// expectation never matters.

#include "runner/expectation.hpp"
#include "runner/process_tree.hpp"

#include <string>
#include <vector>

namespace e2e {

// One line for each way the tree differs from expected, naming the process by its path of pids;
// empty when it matches.
std::vector<std::string> compare_tree(const process_expectation& expected,
                                      const process_tree& actual);

// Indented, one process a line, for a failure report.
std::string describe(const process_expectation& expected);
std::string describe(const process_tree& actual);

}  // namespace e2e
