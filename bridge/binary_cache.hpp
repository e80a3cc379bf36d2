#pragma once
// The bridge's store of the binaries clients uploaded, one file per binary named by its hash
// (binary_hash.hpp), so that a program deployed again is not uploaded again, and so that the
// bridge can execute it for the recce and hand it to the master.
//
// A file appears under its name only complete and verified: it is written to a temporary file in
// the same directory, checked against its hash, and renamed into place. Directory and files are
// private to the user (0700): whoever could write there could make the bridge run their code.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace constellation::bridge {

class binary_cache {
 public:
  // Uses dir, creating it (and, for the default, its parent) with mode 0700. Refuses a directory
  // that is not the user's own or that others may enter, with a message naming it and the fix.
  static std::expected<binary_cache, std::string> open(const std::string& dir);

  // ${TMPDIR:-/tmp}/constellation-<uid>/bridge-<port>: one cache per bridge, so that two bridges
  // on one machine do not race on one directory.
  static std::string default_dir(std::uint16_t port);

  const std::string& dir() const { return dir_; }
  // Where the binary with this hash is (or would be) stored. hash must satisfy is_binary_hash.
  std::string path_of(std::string_view hash) const;
  // Whether the binary with this hash and size is stored.
  bool contains(std::string_view hash, std::uint64_t size) const;
  // Stores bytes as the binary with this hash, after checking that they are. Blocks on the disk.
  std::expected<void, std::string> store(std::string_view hash, std::string_view bytes) const;
  // The stored bytes of a binary; an error when missing or unreadable. Blocks on the disk.
  std::expected<std::string, std::string> load(std::string_view hash) const;

 private:
  explicit binary_cache(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace constellation::bridge
