#include "process/spawn_attributes.hpp"

#include <csignal>

namespace constellation::process {

clean_spawn_attributes::clean_spawn_attributes(bool own_process_group) {
  posix_spawnattr_init(&attributes_);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes_, &all);
  posix_spawnattr_setsigmask(&attributes_, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (own_process_group) {
    posix_spawnattr_setpgroup(&attributes_, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attributes_, flags);
}

clean_spawn_attributes::~clean_spawn_attributes() {
  posix_spawnattr_destroy(&attributes_);
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace constellation::process
