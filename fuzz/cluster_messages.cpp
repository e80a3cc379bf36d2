// The messages of cluster mode (wire/cluster_messages.hpp): what the bridge reads from
// constellation-deploy, the master from a bridge and from its nodes, a node from its master, and
// deploy from the bridge. One harness for all of them, since a frame's type picks the message.

#include "wire/cluster_messages.hpp"
#include "message_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace constellation::wire;
  constellation::fuzz::decode_stream<
      deploy_request, need_binary, binary_upload, job_event, job_finished, stdin_data, stdin_eof,
      end_job, status_request, status_reply, job_start, jobs_request, jobs_reply, kill_job_request,
      kill_job_reply, launch_order, launch_result, process_request, process_reply, master_verdict,
      bridge_order, stdin_credit, output_credit>(data, size);
  return 0;
}
