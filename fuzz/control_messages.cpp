// The messages a node agent (bridge or fabric daemon) reads from the processes and monitors it
// started, and the one a monitor reads from the agent (wire/messages.hpp).

#include "message_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace constellation::wire;
  constellation::fuzz::decode_stream<spawn_request, spawn_reply, peer_status_request,
                                     peer_status_reply, progress_report, counter_report,
                                     started_report, launch_failed_report, output_report,
                                     eof_report, exit_report, terminate_order>(data, size);
  return 0;
}
