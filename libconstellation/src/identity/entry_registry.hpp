#pragma once
// The spawn entries this program contains. Each spawn<F> instantiation registers its entry at
// start-up; a spawned process calls an entry only if it is registered here.

#include <constellation/detail/spawn_entry.hpp>

namespace constellation::identity {

bool is_registered_entry(detail::entry_function entry);

}  // namespace constellation::identity
