#include "report/json_events.hpp"

#include "report/base64.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

namespace constellation::report {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json pid_json(const pid& p) {
  if (!p) return nullptr;
  return p.to_string();
}

ordered_json to_json(const spawn_event& e) {
  ordered_json j = {{"event", "spawn"}, {"pid", pid_json(e.parent)}, {"child", pid_json(e.child)}};
  if (e.trapped) j["trapped"] = true;
  return j;
}

ordered_json to_json(const progress_event& e) {
  ordered_json j = {{"event", "progress"}, {"pid", pid_json(e.process)}};
  if (e.clear) {
    j["clear"] = true;
    return j;
  }
  j["text"] = e.text;
  // A figure cannot take the place of a key of the event itself, nor of an earlier figure.
  for (const auto& [name, value] : e.figures)
    if (!j.contains(name)) j[name] = value;
  return j;
}

ordered_json to_json(const output_event& e) {
  return {{"event", "output"},
          {"pid", pid_json(e.process)},
          {"fd", e.fd},
          {"data", base64_encode(e.data)}};
}

ordered_json to_json(const eof_event& e) {
  return {{"event", "output"}, {"pid", pid_json(e.process)}, {"fd", e.fd}, {"eof", true}};
}

ordered_json to_json(const exit_event& e) {
  ordered_json j = {{"event", "exit"}, {"pid", pid_json(e.process)}};
  if (e.status.how == exit_status::kind::code) {
    j["status"] = e.status.value;
  } else {
    j["signal"] = signal_name(e.status.value);
  }
  if (!e.reason.empty()) j["reason"] = e.reason;
  return j;
}

// The string at key, or nullopt when it is absent or not a string.
std::optional<std::string> string_at(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<int> int_at(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  const auto value = it->get<std::int64_t>();
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(value);
}

}  // namespace

std::string to_json_line(const process_event& e) {
  const ordered_json j = std::visit([](const auto& event) { return to_json(event); }, e);
  // A reason and progress can hold text from outside; replacing bad UTF-8 keeps the line valid
  // JSON.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<json_event> parse_json_line(std::string_view line) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;  // a parse error gives a discarded value, not an object
  json_event e;
  const auto event = string_at(j, "event");
  if (!event) return std::nullopt;
  e.event = *event;
  e.pid = string_at(j, "pid");
  // A missing pid is allowed only where the format writes null: the top process's spawn.
  const bool pid_is_null = j.contains("pid") && j["pid"].is_null();
  if (!e.pid && !(e.event == "spawn" && pid_is_null)) return std::nullopt;

  if (e.event == "spawn") {
    const auto child = string_at(j, "child");
    if (!child) return std::nullopt;
    e.child = *child;
    if (const auto it = j.find("trapped"); it != j.end() && it->is_boolean())
      e.trapped = it->get<bool>();
  } else if (e.event == "output") {
    const auto fd = int_at(j, "fd");
    if (!fd) return std::nullopt;
    e.fd = *fd;
    if (const auto data = string_at(j, "data")) {
      auto bytes = base64_decode(*data);
      if (!bytes) return std::nullopt;
      e.data = std::move(*bytes);
    } else if (const auto it = j.find("eof");
               it != j.end() && it->is_boolean() && it->get<bool>()) {
      e.eof = true;
    } else {
      return std::nullopt;
    }
  } else if (e.event == "exit") {
    e.status = int_at(j, "status");
    if (const auto signal = string_at(j, "signal")) e.signal = *signal;
    if (e.status.has_value() == !e.signal.empty()) return std::nullopt;  // exactly one of the two
    if (const auto reason = string_at(j, "reason")) e.reason = *reason;
  } else if (e.event == "progress") {
    if (const auto it = j.find("clear"); it != j.end() && it->is_boolean() && it->get<bool>()) {
      e.clear = true;
    } else if (const auto text = string_at(j, "text")) {
      e.text = *text;
      for (const auto& [key, value] : j.items())
        if (value.is_number() && key != "pid" && key != "event")
          e.figures.emplace_back(key, value.get<double>());
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  return e;
}

}  // namespace constellation::report
