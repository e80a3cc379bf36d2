#include "runner/output_check.hpp"

#include "crypto/crypto.hpp"

#include <regex>

namespace e2e {

namespace {

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::regex compile(const std::string& pattern, const placeholders& names) {
  const std::string filled =
      replace_all(replace_all(pattern, "{pid}", names.pid), "{parent}", names.parent);
  return std::regex(filled, std::regex::ECMAScript | std::regex::multiline);
}

}  // namespace

std::optional<std::string> regex_error(const std::string& pattern) {
  try {
    (void)compile(pattern, {"0000000", "0000000"});
    return std::nullopt;
  } catch (const std::regex_error& e) {
    return e.what();
  }
}

bool matches_whole(const std::string& pattern, std::string_view text, const placeholders& names) {
  const auto re = compile(pattern, names);
  return std::regex_match(text.begin(), text.end(), re);
}

bool matches_somewhere(const std::string& pattern, std::string_view text) {
  const auto re = compile(pattern, {});
  return std::regex_search(text.begin(), text.end(), re);
}

std::vector<std::string> check_output(const output_expectation& expected, std::string_view bytes,
                                      std::string_view stream, const placeholders& names) {
  std::vector<std::string> problems;
  const std::string name(stream);
  if (expected.regex) {
    if (bytes.size() > regex_limit) {
      problems.push_back(name + " has " + std::to_string(bytes.size()) +
                         " bytes, too many for a regex (limit " + std::to_string(regex_limit) +
                         "): check it with " + name + "_size and " + name + "_sha256");
    } else if (!matches_whole(*expected.regex, bytes, names)) {
      problems.push_back(name + " " + printable(bytes) + " does not match /" + *expected.regex +
                         "/");
    }
  }
  if (expected.hex && hex(bytes) != *expected.hex) {
    // Say where the bytes first differ: a whole dump of both would hide it.
    const std::string actual = hex(bytes);
    std::size_t at = 0;
    while (at < actual.size() && at < expected.hex->size() && actual[at] == (*expected.hex)[at])
      ++at;
    at /= 2;
    problems.push_back(name + " differs from " + name + "_hex at byte " + std::to_string(at) +
                       " of " + std::to_string(bytes.size()) + " (expected " +
                       std::to_string(expected.hex->size() / 2) + "): got " +
                       printable(bytes.substr(std::min(at, bytes.size())), 48));
  }
  if (expected.size && bytes.size() != *expected.size)
    problems.push_back(name + " has " + std::to_string(bytes.size()) + " bytes, expected " +
                       std::to_string(*expected.size));
  if (expected.sha256) {
    const auto digest = constellation::crypto::sha256_hex(bytes);
    if (digest != *expected.sha256)
      problems.push_back(name + " has sha256 " + digest + ", expected " + *expected.sha256);
  }
  return problems;
}

std::string printable(std::string_view bytes, std::size_t limit) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\"";
  std::size_t shown = 0;
  for (; shown < bytes.size() && out.size() < limit; ++shown) {
    const auto c = static_cast<unsigned char>(bytes[shown]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < bytes.size()) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

}  // namespace e2e
