#include "report/human_writer.hpp"

#include <sys/ioctl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace constellation::report {

namespace {

// The length of the incomplete UTF-8 sequence ending bytes: 1-3 bytes of a multi-byte character
// whose lead byte says it needs more; 0 when the end is complete (or not UTF-8 at all).
std::size_t incomplete_utf8_tail(std::string_view bytes) {
  for (std::size_t back = 1; back <= 4 && back <= bytes.size(); ++back) {
    const auto c = static_cast<unsigned char>(bytes[bytes.size() - back]);
    if ((c & 0xc0) == 0x80) continue;  // a continuation byte: the lead is further back
    std::size_t needed = 0;
    if ((c & 0xe0) == 0xc0)
      needed = 2;
    else if ((c & 0xf0) == 0xe0)
      needed = 3;
    else if ((c & 0xf8) == 0xf0)
      needed = 4;
    return back < needed ? back : 0;
  }
  return 0;
}

std::string indented(std::string_view bytes, bool at_line_start) {
  std::string out;
  out.reserve(bytes.size() + 8);
  for (const char c : bytes) {
    if (at_line_start) out += "  ";
    out += c;
    at_line_start = c == '\n';
  }
  return out;
}

// Six colours that stay readable on dark and light backgrounds; red is kept for failures.
constexpr std::array<std::string_view, 6> pid_colours = {"\x1b[36m", "\x1b[32m", "\x1b[33m",
                                                         "\x1b[35m", "\x1b[34m", "\x1b[96m"};
constexpr std::string_view failure_colour = "\x1b[1;31m";
constexpr std::string_view reset = "\x1b[0m";

// FNV-1a rather than std::hash, so that a pid keeps its colour from one run of the bridge to the
// next.
std::string_view colour_of(const pid& p) {
  std::uint32_t hash = 2166136261u;
  for (const char c : p.to_string()) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return pid_colours[hash % pid_colours.size()];
}

// A progress line drawn as wide as the terminal would wrap, and the cursor movements that erase
// it would miss a line; so it is cut one column short. 80 when the width cannot be read.
std::size_t terminal_columns(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 1) return size.ws_col;
  return 80;
}

// A progress text that cannot move the cursor: control characters (a newline, an escape) would
// break the drawing, so they become spaces.
std::string printable_text(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

// The first columns characters of a UTF-8 text (each code point taken as one column).
std::string_view first_columns(std::string_view text, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;
    if (seen++ == columns) return text.substr(0, i);
  }
  return text;
}

std::string figure_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

void human_writer::write(const process_event& e) {
  std::visit([this](const auto& event) { on(event); }, e);
  if (draw_progress_ && (progress_changed_ || !pending_.empty())) redraw_progress();
  progress_changed_ = false;
  for (const auto& [fd, bytes] : pending_) write_all(fd, bytes);
  pending_.clear();
}

void human_writer::emit(int fd, std::string_view bytes) {
  if (bytes.empty()) return;
  if (!pending_.empty() && pending_.back().first == fd) {
    pending_.back().second += bytes;
  } else {
    pending_.emplace_back(fd, std::string(bytes));
  }
}

void human_writer::on(const spawn_event& e) {
  if (e.parent) {
    show_status(e.parent, "[" + e.parent.to_string() + "] spawned: " + e.child.to_string(), false);
  } else {
    show_status(e.child, "[" + e.child.to_string() + "] started", false);
  }
}

void human_writer::on(const output_event& e) {
  const stream s{e.process, e.fd};
  std::string bytes;
  if (const auto it = held_.find(s); it != held_.end()) {
    bytes = std::move(it->second);
    held_.erase(it);
  }
  bytes += e.data;
  if (const std::size_t tail = incomplete_utf8_tail(bytes); tail > 0) {
    held_[s] = bytes.substr(bytes.size() - tail);
    bytes.resize(bytes.size() - tail);
  }
  show_output(s, bytes);
}

void human_writer::on(const eof_event& e) {
  flush_held({e.process, e.fd});
}

void human_writer::on(const exit_event& e) {
  flush_held({e.process, 1});
  flush_held({e.process, 2});
  std::string line = "[" + e.process.to_string() + "] exited";
  if (!e.status.success()) line += ": " + to_string(e.status);
  if (!e.reason.empty()) line += " (" + e.reason + ")";
  show_status(e.process, line, !e.status.success());
  forget_progress(e.process);
}

void human_writer::on(const progress_event& e) {
  if (!draw_progress_) return;
  if (e.clear) return forget_progress(e.process);
  progress_changed_ = true;
  const auto same = [&](const progress_event& p) { return p.process == e.process; };
  if (const auto it = std::find_if(progress_.begin(), progress_.end(), same);
      it != progress_.end()) {
    *it = e;
  } else {
    progress_.push_back(e);
  }
}

void human_writer::forget_progress(const pid& p) {
  if (std::erase_if(progress_, [&](const progress_event& e) { return e.process == p; }) > 0)
    progress_changed_ = true;
}

void human_writer::redraw_progress() {
  if (drawn_lines_ > 0) {
    // Up to the first drawn line, to its start, and erase from there to the end of the screen.
    pending_.insert(pending_.begin(),
                    {err_fd_, "\x1b[" + std::to_string(drawn_lines_) + "A\r\x1b[J"});
  }
  drawn_lines_ = 0;
  if (progress_.empty()) return;
  end_open_line();
  const std::size_t columns = terminal_columns(err_fd_) - 1;
  for (const auto& e : progress_) {
    emit(err_fd_, progress_line(e, columns));
    ++drawn_lines_;
  }
}

std::string human_writer::progress_line(const progress_event& e, std::size_t columns) const {
  const std::string label = "[" + e.process.to_string() + "]";
  std::string rest = " " + printable_text(e.text);
  for (const auto& [name, value] : e.figures)
    rest += "  " + printable_text(name) + "=" + figure_text(value);
  const std::string_view shown =
      first_columns(rest, columns > label.size() ? columns - label.size() : 0);
  return coloured(e.process, label) + std::string(shown) + "\n";
}

void human_writer::show_output(const stream& s, std::string_view bytes) {
  if (bytes.empty()) return;  // a header over nothing would only be noise
  if (open_line_ != s) end_open_line();
  if (header_ != s.first) {
    emit(err_fd_, coloured(s.first, "[" + s.first.to_string() + "]") + "\n");
    header_ = s.first;
  }
  emit(target_fd(s.second), indented(bytes, !open_line_.has_value()));
  if (bytes.back() == '\n') {
    open_line_.reset();
  } else {
    open_line_ = s;
  }
}

void human_writer::flush_held(const stream& s) {
  const auto it = held_.find(s);
  if (it == held_.end()) return;
  const std::string bytes = std::move(it->second);
  held_.erase(it);
  show_output(s, bytes);  // the character will never be completed: pass on what there is
}

void human_writer::show_status(const pid& p, std::string_view line, bool failure) {
  end_open_line();
  if (!colour_) {
    emit(err_fd_, line);
  } else {
    emit(err_fd_, failure ? failure_colour : colour_of(p));
    emit(err_fd_, line);
    emit(err_fd_, reset);
  }
  emit(err_fd_, "\n");
  header_.reset();
}

void human_writer::end_open_line() {
  if (!open_line_) return;
  emit(target_fd(open_line_->second), "\n");
  open_line_.reset();
}

std::string human_writer::coloured(const pid& p, std::string_view text) const {
  if (!colour_) return std::string(text);
  std::string out(colour_of(p));
  out += text;
  out += reset;
  return out;
}

}  // namespace constellation::report
