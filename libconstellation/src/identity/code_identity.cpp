#include "identity/code_identity.hpp"

#include "crypto/crypto.hpp"

#include <elf.h>
#include <link.h>

#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

namespace constellation::identity {

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
  return out;
}

std::string build_id_of(const dl_phdr_info& info) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(info.dlpi_addr + ph.p_vaddr);
    const auto* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof note);
      const auto* name = p + sizeof note;
      const auto* desc = name + ((note.n_namesz + 3) & ~3u);
      const auto* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0)
        return "build-id:" + to_hex(desc, note.n_descsz);
      p = next;
    }
  }
  return {};
}

// For an object without a build-id: the SHA-256 of its file, or "" when it cannot be read.
std::string content_id_of(const std::string& path) {
  const auto hash = crypto::sha256_of_file(path);
  return hash ? "sha256:" + *hash : std::string{};
}

// Hashing a file is slow, and objects do not change while loaded: remember each object's id.
std::string object_id_of(const dl_phdr_info& info) {
  static std::mutex mutex;
  static std::map<std::pair<ElfW(Addr), std::string>, std::string> known;
  const std::string name = info.dlpi_name ? info.dlpi_name : "";
  std::lock_guard lock(mutex);
  auto [it, inserted] = known.try_emplace({info.dlpi_addr, name});
  if (inserted) {
    it->second = build_id_of(info);
    if (it->second.empty()) it->second = content_id_of(name.empty() ? "/proc/self/exe" : name);
  }
  return it->second;
}

std::string display_name(const dl_phdr_info& info) {
  return info.dlpi_name && *info.dlpi_name ? info.dlpi_name : "the program";
}

bool in_executable_segment(const dl_phdr_info& info, std::uint64_t offset) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && offset >= ph.p_vaddr &&
        offset < ph.p_vaddr + ph.p_memsz)
      return true;
  }
  return false;
}

template <class Visit>
void for_each_object(Visit visit) {
  dl_iterate_phdr([](dl_phdr_info* info, std::size_t,
                     void* data) -> int { return (*static_cast<Visit*>(data))(*info) ? 1 : 0; },
                  &visit);
}

}  // namespace

std::expected<code_identity, std::string> identify_code(const void* address) {
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  std::optional<code_identity> found;
  for_each_object([&](const dl_phdr_info& info) {
    const std::uint64_t offset = where - info.dlpi_addr;
    if (where < info.dlpi_addr || !in_executable_segment(info, offset)) return false;
    found = code_identity{object_id_of(info), display_name(info), offset};
    return true;
  });
  if (!found) return std::unexpected("the function is not in any loaded program or library");
  if (found->object_id.empty())
    return std::unexpected("cannot identify " + found->object_name +
                           ": it has no build-id and cannot be read");
  return *found;
}

std::expected<const void*, std::string> locate_code(const code_identity& identity) {
  const void* address = nullptr;
  bool object_found = false;
  for_each_object([&](const dl_phdr_info& info) {
    if (object_id_of(info) != identity.object_id) return false;
    object_found = true;
    if (in_executable_segment(info, identity.offset))
      address = reinterpret_cast<const void*>(info.dlpi_addr + identity.offset);
    return true;
  });
  if (!object_found)
    return std::unexpected("no loaded object has the identity " + identity.object_id + " of " +
                           identity.object_name +
                           ": the spawned program is not the same build as its parent");
  if (!address)
    return std::unexpected("offset " + std::to_string(identity.offset) + " is not code in " +
                           identity.object_name);
  return address;
}

}  // namespace constellation::identity
