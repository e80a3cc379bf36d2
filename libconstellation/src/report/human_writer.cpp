#include "report/human_writer.hpp"

#include <array>
#include <cstdint>

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

}  // namespace

void human_writer::write(const process_event& e) {
  std::visit([this](const auto& event) { on(event); }, e);
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
