#pragma once
// How `constellation-deploy status` shows the cluster: a table for people, one JSON object for
// programs. Pure functions over the master's status_reply.
//
//   NODE             STATE  MEMORY USED / TOTAL  CPU USED / TOTAL  PROCESSES
//   127.0.0.11:7001  up     120 MiB / 2 GiB      0.5 / 2           2: 0a1b2c3 1f00c2d
//   127.0.0.12:7001  down   0 B / 1 GiB          0 / 1             0
//   jobs: 1
//
//   {"nodes":[{"address":"127.0.0.11:7001","up":true,"mem_used":125829120,
//              "mem_total":2147483648,"cpu_used":0.5,"cpu_total":2.0,
//              "processes":["0a1b2c3","1f00c2d"]}],"jobs":1}
// (one line in fact)

#include "wire/cluster_messages.hpp"

#include <string>

namespace constellation::deploy {

// The table, each line ending in "\n"; columns as wide as their widest cell.
std::string format_status_table(const wire::status_reply& status);

// One line of JSON, ending in "\n"; keys in the order shown above.
std::string format_status_json(const wire::status_reply& status);

}  // namespace constellation::deploy
