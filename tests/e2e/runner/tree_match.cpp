#include "runner/tree_match.hpp"

#include "runner/output_check.hpp"

#include <algorithm>
#include <limits>

namespace e2e {

namespace {

constexpr const char* stream_names[2] = {"stdout", "stderr"};

std::vector<std::string> differences(const process_expectation& expected, const process_tree& tree,
                                     std::size_t index, const std::string& path);

std::string ending(const process_node& node) {
  if (!node.exited) return "no exit";
  return node.status ? "status " + std::to_string(*node.status) : "signal " + node.signal;
}

constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

// One step of Kuhn's maximum bipartite matching of expected slots to actual children: finds slot a
// child, moving slots matched earlier to other children when that frees one. fits[s][c] says
// whether slot s may take child c. True when slot got a child.

bool augment(std::size_t slot, const std::vector<std::vector<bool>>& fits,
             std::vector<bool>& visited, std::vector<std::size_t>& slot_of_child,
             std::vector<std::size_t>& child_of_slot) {
  for (std::size_t c = 0; c < slot_of_child.size(); ++c) {
    if (!fits[slot][c] || visited[c]) continue;
    visited[c] = true;
    if (slot_of_child[c] == none ||
        augment(slot_of_child[c], fits, visited, slot_of_child, child_of_slot)) {
      slot_of_child[c] = slot;
      child_of_slot[slot] = c;
      return true;
    }
  }
  return false;
}

std::vector<std::string> child_differences(const std::vector<process_expectation>& expected,
                                           const process_tree& tree, const process_node& parent,
                                           const std::string& path) {
  // Each entry of the expectation stands for `count` slots.
  std::vector<std::size_t> entry_of_slot;
  for (std::size_t e = 0; e < expected.size(); ++e)
    for (int i = 0; i < expected[e].count; ++i) entry_of_slot.push_back(e);
  const auto& children = parent.children;

  // Whether each entry matches each child, with the reasons when it does not.
  std::vector<std::vector<std::vector<std::string>>> why(expected.size());
  for (std::size_t e = 0; e < expected.size(); ++e)
    for (const std::size_t child : children)
      why[e].push_back(differences(expected[e], tree, child, path + " > " + tree.nodes[child].pid));

  std::vector<std::vector<bool>> fits(entry_of_slot.size(), std::vector<bool>(children.size()));
  for (std::size_t s = 0; s < entry_of_slot.size(); ++s)
    for (std::size_t c = 0; c < children.size(); ++c) fits[s][c] = why[entry_of_slot[s]][c].empty();

  std::vector<std::size_t> slot_of_child(children.size(), none),
      child_of_slot(entry_of_slot.size(), none);
  for (std::size_t s = 0; s < entry_of_slot.size(); ++s) {
    std::vector<bool> visited(children.size(), false);
    augment(s, fits, visited, slot_of_child, child_of_slot);
  }

  std::vector<std::string> problems;
  if (entry_of_slot.size() != children.size())
    problems.push_back(path + ": expected " + std::to_string(entry_of_slot.size()) +
                       " children, got " + std::to_string(children.size()));
  // For each entry with unmatched slots, show why the nearest unmatched child (the one with the
  // fewest differences) does not fit it.
  for (std::size_t e = 0; e < expected.size(); ++e) {
    int unmatched = 0;
    for (std::size_t s = 0; s < entry_of_slot.size(); ++s)
      if (entry_of_slot[s] == e && child_of_slot[s] == none) ++unmatched;
    if (unmatched == 0) continue;
    std::string line = path + ": " + std::to_string(unmatched) + " of " +
                       std::to_string(expected[e].count) + " children like children[" +
                       std::to_string(e) + "] missing";
    std::size_t nearest = none;
    for (std::size_t c = 0; c < children.size(); ++c)
      if (slot_of_child[c] == none &&
          (nearest == none || why[e][c].size() < why[e][nearest].size()))
        nearest = c;
    problems.push_back(line + (nearest == none ? "" : "; the nearest unmatched child differs:"));
    if (nearest != none)
      for (const auto& reason : why[e][nearest]) problems.push_back("    " + reason);
  }
  for (std::size_t c = 0; c < children.size(); ++c)
    if (slot_of_child[c] == none)
      problems.push_back(path + ": child " + tree.nodes[children[c]].pid + " (" +
                         ending(tree.nodes[children[c]]) + ") matches no expected child left");
  return problems;
}

std::vector<std::string> differences(const process_expectation& expected, const process_tree& tree,
                                     std::size_t index, const std::string& path) {
  const auto& node = tree.nodes[index];
  const placeholders names{node.pid, node.parent.empty() ? "null" : node.parent};
  std::vector<std::string> problems;
  if (expected.status && node.status != expected.status)
    problems.push_back(path + ": " + ending(node) + ", expected status " +
                       std::to_string(*expected.status));
  if (expected.signal && (node.status || node.signal != *expected.signal))
    problems.push_back(path + ": " + ending(node) + ", expected signal " + *expected.signal);
  if (expected.reason && !matches_whole(*expected.reason, node.reason, names))
    problems.push_back(path + ": reason " + printable(node.reason) + " does not match /" +
                       *expected.reason + "/");
  if (expected.progress && !matches_whole(*expected.progress, node.progress, names))
    problems.push_back(path + ": progress " + printable(node.progress) + " does not match /" +
                       *expected.progress + "/");
  if (expected.trapped && node.trapped != *expected.trapped)
    problems.push_back(path + (node.trapped ? ": trapped" : ": not trapped") + ", expected " +
                       (*expected.trapped ? "trapped" : "not trapped"));
  for (int i = 0; i < 2; ++i)
    for (auto& p : check_output(expected.out[i], node.out[i], stream_names[i], names))
      problems.push_back(path + ": " + p);
  if (expected.children) {
    auto more = child_differences(*expected.children, tree, node, path);
    problems.insert(problems.end(), more.begin(), more.end());
  }
  return problems;
}

void describe_into(std::string& out, const process_expectation& e, int depth) {
  out += std::string(2 * static_cast<std::size_t>(depth), ' ');
  out += depth == 0 ? "top" : "child";
  if (e.count != 1) out += " x" + std::to_string(e.count);
  out += ":";
  out += e.status ? " status " + std::to_string(*e.status) : " signal " + e.signal.value_or("?");
  if (e.reason) out += ", reason /" + *e.reason + "/";
  if (e.trapped) out += *e.trapped ? ", trapped" : ", not trapped";
  if (e.progress) out += ", progress /" + *e.progress + "/";
  for (int i = 0; i < 2; ++i) {
    const auto& o = e.out[i];
    const std::string name = stream_names[i];
    if (o.regex) out += ", " + name + " /" + *o.regex + "/";
    if (o.hex) out += ", " + name + " of " + std::to_string(o.hex->size() / 2) + " given bytes";
    if (o.size) out += ", " + name + " of " + std::to_string(*o.size) + " bytes";
    if (o.sha256) out += ", " + name + " sha256 " + o.sha256->substr(0, 12) + "...";
  }
  if (!e.children) {
    out += ", any children\n";
    return;
  }
  if (e.children->empty()) out += ", no children";
  out += "\n";
  for (const auto& child : *e.children) describe_into(out, child, depth + 1);
}

void describe_into(std::string& out, const process_tree& tree, std::size_t index, int depth) {
  const auto& node = tree.nodes[index];
  out += std::string(2 * static_cast<std::size_t>(depth), ' ') + node.pid + ": " + ending(node);
  if (!node.reason.empty()) out += ", reason " + printable(node.reason);
  if (node.trapped) out += ", trapped";
  if (!node.progress.empty()) out += ", progress " + printable(node.progress, 80);
  for (int i = 0; i < 2; ++i)
    out += std::string(", ") + stream_names[i] + " " + printable(node.out[i], 80);
  out += "\n";
  for (const std::size_t child : node.children) describe_into(out, tree, child, depth + 1);
}

}  // namespace

std::vector<std::string> compare_tree(const process_expectation& expected,
                                      const process_tree& actual) {
  if (actual.nodes.empty()) return {"no process was spawned"};
  return differences(expected, actual, 0, "top " + actual.nodes[0].pid);
}

std::string describe(const process_expectation& expected) {
  std::string out;
  describe_into(out, expected, 0);
  return out;
}

std::string describe(const process_tree& actual) {
  if (actual.nodes.empty()) return "(no process)\n";
  std::string out;
  describe_into(out, actual, 0, 0);
  return out;
}

}  // namespace e2e
