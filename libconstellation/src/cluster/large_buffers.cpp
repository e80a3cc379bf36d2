#include "cluster/large_buffers.hpp"

#include <malloc.h>

namespace constellation::cluster {

void return_large_buffers() {
  // Setting the threshold also fixes it (no dynamic raising), and the trim threshold with it.
  ::mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
}

}  // namespace constellation::cluster
