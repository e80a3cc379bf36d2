#pragma once
// Binaries a daemon was sent, stored by the SHA-256 of their content: a binary a node already has
// is named by its hash and never sent again.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace constellation::fabric {

class binary_cache {
 public:
  // The folder is created (mode 700) when missing.
  explicit binary_cache(std::string folder);

  // The path of the binary with this hash, when cached.
  std::optional<std::string> find(std::string_view hash) const;
  // Stores bytes after checking that they hash to hash; atomically, so that a crash leaves no
  // half-written binary under its name.
  std::expected<std::string, std::string> store(std::string_view hash, std::string_view bytes);
  // Reads a cached binary back (the master forwards binaries to nodes).
  std::expected<std::string, std::string> read(std::string_view hash) const;

  const std::string& folder() const { return folder_; }
  std::uint64_t stored_count() const { return stored_; }

 private:
  std::string folder_;
  std::uint64_t stored_ = 0;
};

// Lowercase hex SHA-256 of bytes, and of a file's content.
std::string sha256_hex(std::string_view bytes);
std::expected<std::string, std::string> sha256_of_file(const std::string& path);

// ${TMPDIR:-/tmp}/constellation-<uid>/<name>: a per-user place for a daemon's cache.
std::string default_cache_folder(const std::string& name);

}  // namespace constellation::fabric
