#pragma once
// The terminal format: each process's output under a header naming its pid, forwarded as it comes.
//
//   [0a1b2c3] started
//   [0a1b2c3]
//     hello from the top
//   [0a1b2c3] spawned: 1f00c2d
//   [1f00c2d]
//     partial line, then a
//     full one
//   [1f00c2d] exited: 3
//
// Headers and status lines go to err_fd; a process's bytes go to out_fd or err_fd as it wrote them
// to its stdout or stderr, each line indented by two spaces. Bytes are passed through unchanged
// (binary-safe) except that a line cut short by another stream's output is ended with "\n", and the
// 1-3 bytes of a UTF-8 character cut at the end of a chunk wait for the rest, so that a header
// never lands inside a character.
//
// With draw_progress (stderr is a terminal), each process's latest progress report is drawn below
// everything else as one line, cut to the terminal's width:
//
//   [1f00c2d] sorting  done=3 total=10
//
// Before the next bytes are shown the lines are erased (cursor up over them, erase to the end of
// the screen), and drawn again after them, so that they never mix with the output, as cargo and
// pv do. A line an output stream left open is ended first, as when another stream cuts in. A
// process's line goes when it clears it or exits. Without draw_progress, progress is not shown.

#include "report/event_writer.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace constellation::report {

class human_writer final : public event_writer {
 public:
  // colour: ANSI colours for headers and status lines; make_event_writer decides it.
  // draw_progress: progress lines on err_fd; only for a terminal, since the lines are redrawn
  // with cursor movements.
  human_writer(int out_fd, int err_fd, bool colour, bool draw_progress = false)
      : out_fd_(out_fd), err_fd_(err_fd), colour_(colour), draw_progress_(draw_progress) {}

  void write(const process_event& e) override;

 private:
  // One stream of one process: its stdout (1) or stderr (2).
  using stream = std::pair<pid, int>;

  void on(const spawn_event& e);
  void on(const output_event& e);
  void on(const eof_event& e);
  void on(const exit_event& e);
  void on(const progress_event& e);

  void show_output(const stream& s, std::string_view bytes);
  void flush_held(const stream& s);
  void show_status(const pid& p, std::string_view line, bool failure);
  void end_open_line();
  std::string coloured(const pid& p, std::string_view text) const;
  void forget_progress(const pid& p);
  // Erases the drawn progress lines before this write's bytes, and draws them after.
  void redraw_progress();
  std::string progress_line(const progress_event& e, std::size_t columns) const;

  int target_fd(int process_fd) const { return process_fd == 2 ? err_fd_ : out_fd_; }
  // Queues bytes for fd; write() sends the queue in order, merging neighbours on one fd.
  void emit(int fd, std::string_view bytes);

  int out_fd_;
  int err_fd_;
  bool colour_;
  bool draw_progress_;
  std::vector<progress_event> progress_;  // the latest of each process, in order of first report
  bool progress_changed_ = false;
  std::size_t drawn_lines_ = 0;         // progress lines on the screen, just above the cursor
  std::optional<pid> header_;           // whose header is in effect; none after a status line
  std::optional<stream> open_line_;     // the stream whose last shown byte was not '\n'
  std::map<stream, std::string> held_;  // incomplete UTF-8 at the end of a stream's last chunk
  std::vector<std::pair<int, std::string>> pending_;
};

}  // namespace constellation::report
