#pragma once
// Naming a function so that another process running the same program can find it: the identity of
// the loaded object that holds it (its GNU build-id, or a SHA-256 of its file when it has none)
// and the function's offset from that object's load address. Addresses differ between processes
// (ASLR); offsets within the same build do not.

#include <cstdint>
#include <expected>
#include <string>

namespace constellation::identity {

struct code_identity {
  std::string object_id;    // "build-id:<hex>" or "sha256:<hex>"
  std::string object_name;  // the object's path, for error messages only
  std::uint64_t offset = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(object_id, object_name, offset);
  }
};

// The identity of the code at address. Fails when the address is in no executable segment of a
// loaded object (for example, code generated at run time).
std::expected<code_identity, std::string> identify_code(const void* address);

// The address in this process of the code that identity names. Fails, with a message saying
// which object is missing or differs, when no loaded object has that identity or the offset is
// outside its executable segments: never an address in the wrong code.
std::expected<const void*, std::string> locate_code(const code_identity& identity);

}  // namespace constellation::identity
