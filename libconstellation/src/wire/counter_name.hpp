#pragma once
// Which names a job's counter may have (constellation::add_to_counter): the name becomes part of a
// Prometheus metric name on the master, constellation_job_<name>_total.

#include <string_view>

namespace constellation::wire {

// Lower-case letters, digits and '_', starting with a letter, at most 64 characters, not ending
// in "_total".
bool is_counter_name(std::string_view name);

}  // namespace constellation::wire
