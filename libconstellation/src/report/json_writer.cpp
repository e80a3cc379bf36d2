#include "report/json_writer.hpp"

#include "report/json_events.hpp"

namespace constellation::report {

void json_writer::write(const process_event& e) {
  write_all(out_fd_, to_json_line(e));
}

}  // namespace constellation::report
