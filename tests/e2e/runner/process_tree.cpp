#include "runner/process_tree.hpp"

#include "runner/output_check.hpp"

#include "report/json_events.hpp"

#include <nlohmann/json.hpp>

namespace e2e {

namespace {

// Enough to see what went wrong; a broken stream would otherwise bury the rest of the report.
constexpr std::size_t shown_problems = 20;

bool valid_pid(std::string_view pid) {
  return pid.size() == 7 && pid.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

void tree_builder::add(std::string_view bytes) {
  partial_ += bytes;
  std::size_t start = 0;
  for (auto end = partial_.find('\n'); end != std::string::npos; end = partial_.find('\n', start)) {
    add_line(std::string_view(partial_).substr(start, end - start));
    start = end + 1;
  }
  partial_.erase(0, start);
}

std::string tree_builder::all_stdout() const {
  std::string all;
  for (const auto& node : tree_.nodes) all += node.out[0];
  return all;
}

process_tree tree_builder::finish() && {
  if (!partial_.empty()) problem("stdout ends with an incomplete line: " + printable(partial_));
  if (line_number_ == 0 && partial_.empty()) problem("the bridge printed no event at all");
  for (const auto& node : tree_.nodes)
    if (!node.exited) problem(node.pid + " never exited");
  for (const auto& [parent, children] : unborn_children_)
    problem(parent + " spawned children but was never spawned itself");
  if (problem_count_ > shown_problems)
    tree_.problems.push_back("... and " + std::to_string(problem_count_ - shown_problems) +
                             " more problems");
  return std::move(tree_);
}

void tree_builder::problem(std::string text) {
  if (problem_count_++ < shown_problems) tree_.problems.push_back(std::move(text));
}

process_node* tree_builder::find(const std::string& pid) {
  const auto it = index_.find(pid);
  return it == index_.end() ? nullptr : &tree_.nodes[it->second];
}

void tree_builder::add_line(std::string_view line) {
  const std::string where = "line " + std::to_string(++line_number_) + ": ";
  const auto parsed = constellation::report::parse_json_line(line);
  if (!parsed) return problem(where + "not an event: " + printable(line));
  const auto& e = *parsed;
  if (e.pid && !valid_pid(*e.pid))
    problem(where + "pid " + printable(*e.pid) + " is not 7 lowercase hex digits");

  if (e.event == "spawn") {
    if (!valid_pid(e.child))
      problem(where + "pid " + printable(e.child) + " is not 7 lowercase hex digits");
    if (!e.pid) {
      if (line_number_ != 1) return problem(where + "a top process spawned after the first event");
    } else if (line_number_ == 1) {
      problem(where + "the first event is not the top process's spawn");
    }
    if (find(e.child)) return problem(where + e.child + " spawned a second time");
    const std::size_t index = tree_.nodes.size();
    process_node node;
    node.pid = e.child;
    node.parent = e.pid.value_or("");
    node.trapped = e.trapped;
    tree_.nodes.push_back(std::move(node));
    index_.emplace(e.child, index);
    // A child whose parent's spawn comes later still gets its output and its place in the tree,
    // so that the rest of the report is about what really happened.
    if (const auto early = unborn_children_.find(e.child); early != unborn_children_.end()) {
      tree_.nodes[index].children = std::move(early->second);
      unborn_children_.erase(early);
    }
    if (!e.pid) return;
    if (const auto parent = index_.find(*e.pid); parent != index_.end()) {
      tree_.nodes[parent->second].children.push_back(index);
    } else {
      problem(where + e.child + " spawned by " + *e.pid + " before " + *e.pid + "'s own spawn");
      unborn_children_[*e.pid].push_back(index);
    }
    return;
  }

  if (line_number_ == 1) problem(where + "the first event is not the top process's spawn");
  process_node* node = find(*e.pid);
  if (!node) return problem(where + e.event + " event of " + *e.pid + " before its spawn");
  if (node->exited) return problem(where + e.event + " event of " + node->pid + " after its exit");

  if (e.event == "output") {
    if (e.fd != 1 && e.fd != 2)
      return problem(where + "output on fd " + std::to_string(e.fd) + ", not 1 or 2");
    const int i = e.fd - 1;
    if (node->eof[i])
      return problem(where + (e.eof ? "a second eof" : "output") + " on fd " +
                     std::to_string(e.fd) + " of " + node->pid + " after its eof");
    if (e.eof)
      node->eof[i] = true;
    else
      node->out[i] += e.data;
    return;
  }

  if (e.event == "progress") {
    if (e.clear) {
      node->progress += "(clear)\n";
      return;
    }
    node->progress += e.text;
    for (const auto& [name, value] : e.figures)
      node->progress += "  " + name + "=" + nlohmann::json(value).dump();
    node->progress += "\n";
    return;
  }

  // An exit: parse_json_line() accepts no other event.
  for (int i = 0; i < 2; ++i)
    if (!node->eof[i])
      problem(where + "exit of " + node->pid + " before the eof of its fd " +
              std::to_string(i + 1));
  node->exited = true;
  node->status = e.status;
  node->signal = e.signal;
  node->reason = e.reason;
}

process_tree rebuild_tree(std::string_view json_lines) {
  tree_builder builder;
  builder.add(json_lines);
  return std::move(builder).finish();
}

}  // namespace e2e
