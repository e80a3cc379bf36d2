#pragma once
// Checking bytes against an output_expectation, and showing bytes in messages.

#include "runner/expectation.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

// Regexes may name the process they are checked against: "{pid}" stands for its pid and
// "{parent}" for its parent's ("null" for the top process), so that a program's view of its own
// pid can be compared with the bridge's.
struct placeholders {
  std::string pid;
  std::string parent;
};

// Regexes are ECMAScript with the multiline option: ^ and $ also match at line breaks. A check
// matches the whole output; "." does not match "\n", "[\s\S]" matches anything.

// Why pattern cannot be compiled (with the placeholders filled in); nullopt when it can.
std::optional<std::string> regex_error(const std::string& pattern);

// Whether pattern matches all of text. Outputs longer than regex_limit are refused (a regex
// engine that recurses per character would exhaust the stack): check them by size and sha256.
inline constexpr std::size_t regex_limit = 256 * 1024;
bool matches_whole(const std::string& pattern, std::string_view text,
                   const placeholders& names = {});
// Whether pattern matches some part of text; for terminate_after_output.
bool matches_somewhere(const std::string& pattern, std::string_view text);

// One line for each check of expected that bytes fail; empty when all hold. stream names the
// bytes in the lines ("stdout").
std::vector<std::string> check_output(const output_expectation& expected, std::string_view bytes,
                                      std::string_view stream, const placeholders& names = {});

// bytes as a C string literal, cut after limit characters with a note of the full size.
std::string printable(std::string_view bytes, std::size_t limit = 160);

std::string hex(std::string_view bytes);

}  // namespace e2e
