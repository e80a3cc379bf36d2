#include "run_problem.hpp"

#include <nlohmann/json.hpp>

namespace constellation::deploy {

std::string error_json_line(std::string_view message) {
  nlohmann::ordered_json j;
  j["event"] = "error";
  j["message"] = message;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void show_problem(report::output_format format, std::string_view message) {
  if (format == report::output_format::json)
    report::write_all(1, error_json_line(message));
  else
    report::write_all(2, "constellation-deploy: " + std::string(message) + "\n");
}

}  // namespace constellation::deploy
