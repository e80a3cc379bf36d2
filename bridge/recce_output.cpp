#include "recce_output.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace constellation::bridge {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The line as a user would recognise it, cut so that an error message stays one readable line.
std::string quoted(std::string_view line) {
  constexpr std::size_t shown = 80;
  std::string out = "\"" + std::string(line.substr(0, shown));
  if (line.size() > shown) out += "...";
  return out + "\"";
}

// "10 s", or "250 ms" for what is not whole seconds.
std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

}  // namespace

std::expected<resources, std::string> parse_recce_output(std::string_view out) {
  out = trim(out);
  if (out.empty()) return std::unexpected("it printed nothing");
  const auto newline = out.rfind('\n');
  const std::string_view line =
      trim(newline == std::string_view::npos ? out : out.substr(newline + 1));
  const auto printed = "it printed " + quoted(line);

  const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return std::unexpected(printed + ", not {\"mem\":...,\"cpu\":...}");
  const auto mem = json.find("mem");
  const auto cpu = json.find("cpu");
  if (mem == json.end() || cpu == json.end())
    return std::unexpected(printed + ", which lacks " +
                           (mem == json.end() ? "\"mem\"" : "\"cpu\""));
  if (!mem->is_number_unsigned() || mem->get<std::uint64_t>() == 0)
    return std::unexpected(printed + ": \"mem\" must be a whole number of bytes above 0");
  if (!cpu->is_number() || !std::isfinite(cpu->get<double>()) || cpu->get<double>() <= 0)
    return std::unexpected(printed + ": \"cpu\" must be a number of cores above 0");
  return resources{.mem = mem->get<std::uint64_t>(), .cpu = cpu->get<double>()};
}

std::expected<resources, std::string> judge_recce(const recce_run& run) {
  static constexpr const char* hint = ": does main() call constellation::init() first?";
  const auto problem = [](const std::string& what) {
    return std::unexpected("the program did not report its resources (" + what + ")" + hint);
  };
  if (run.timed_out)
    return problem("it was still running after " + format_duration(run.time_limit));
  if (run.too_much_output)
    return problem("it printed more than a line of resources, and kept printing");
  auto parsed = parse_recce_output(run.out);
  if (parsed) return parsed;
  std::string what = parsed.error();
  if (run.status && !run.status->success()) {
    what = run.status->how == report::exit_status::kind::code
               ? "it exited with status " + report::to_string(*run.status)
               : "it was killed by " + report::to_string(*run.status);
    const std::string_view err = trim(run.err);
    if (!err.empty())
      what += " after writing " + quoted(err.substr(0, err.find('\n'))) + " on stderr";
  }
  return problem(what);
}

}  // namespace constellation::bridge
