#pragma once
// The process tree as the bridge's JSON lines describe it, rebuilt while the rules of the event
// stream are checked: every line is an event; pids are seven lowercase hex digits and unique; a
// process's spawn comes first, the end of its stdout and stderr before its exit, and its one exit
// last; the first event is the top process's spawn, and every process exits.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

struct process_node {
  std::string pid;
  std::string parent;  // empty for the top process
  std::string out[2];  // stdout, stderr: the decoded bytes
  bool eof[2] = {false, false};
  bool exited = false;
  std::optional<int> status;  // exited with a code
  std::string signal;         // or killed by this signal
  std::string reason;
  bool trapped = false;  // its spawn event said so
  // Its progress reports, one line each: the text, then "  name=value" for each figure (sorted by
  // name, values as JSON numbers), or "(clear)" for a clear.
  std::string progress;
  std::vector<std::size_t> children;  // indices into process_tree::nodes, in spawn order
};

struct process_tree {
  std::vector<process_node> nodes;    // in spawn order; nodes[0] is the top process, if any
  std::vector<std::string> problems;  // each broken rule, one line each
};

class tree_builder {
 public:
  // Any piece of the bridge's stdout.
  void add(std::string_view bytes);
  // Every process's stdout so far, one after the other in spawn order.
  std::string all_stdout() const;
  // The tree, after the checks that need the whole stream (a last line cut short, a process
  // that never exited).
  process_tree finish() &&;

 private:
  void add_line(std::string_view line);
  void problem(std::string text);
  process_node* find(const std::string& pid);

  std::string partial_;
  std::size_t line_number_ = 0;
  std::size_t problem_count_ = 0;
  std::map<std::string, std::size_t, std::less<>> index_;
  // Children reported before their parent's spawn, by the parent's pid.
  std::map<std::string, std::vector<std::size_t>> unborn_children_;
  process_tree tree_;
};

// The tree that all of a run's stdout describes.
process_tree rebuild_tree(std::string_view json_lines);

}  // namespace e2e
