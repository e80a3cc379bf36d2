#pragma once
// Memory a daemon used for a peak (a binary of a few hundred MiB passing through, a burst of
// output) goes back to the system once freed.

namespace constellation::cluster {

// Makes the allocator give every buffer of 1 MiB or more memory of its own (mmap), returned to the
// system when it is freed. glibc otherwise raises that limit to the size of the largest buffer
// freed so far (up to 32 MiB), after which such buffers come from the heap and stay resident once
// freed: a daemon that passed one large binary on would keep tens of MiB for good. Call it first
// thing in a daemon's main; frames of ordinary size (up to 64 KiB reads) are not affected.
void return_large_buffers();

}  // namespace constellation::cluster
