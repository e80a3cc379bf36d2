#pragma once
// The binaries a daemon was sent, one file per binary named by the SHA-256 of its bytes
// (wire::sha256_hex), so that a program deployed again is not sent again. The bridge keeps the
// binaries clients upload (to run the recce and to hand them to the master), the master those
// bridges send it (to forward them to nodes), and each node those it runs.
//
// A hash from a peer becomes a file name only once it is checked to be one (wire::is_sha256_hex).
// A file appears under its name only complete and verified: it is written to a temporary file in
// the same directory, checked against its hash, and renamed into place. Directories and files are
// private to the user (0700): whoever could write there could make the daemon run their code.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace constellation::cluster {

class binary_cache {
 public:
  // Uses dir, creating it and any missing parent with mode 0700. Refuses a directory that is not
  // the user's own, that others may enter or that is a symbolic link, with a message naming it and
  // the fix. The per-user folder of default_dir, which sits where everyone may write, gets the same
  // checks when it is among dir's parents. Blocks on the disk.
  static std::expected<binary_cache, std::string> open(const std::string& dir);

  // ${TMPDIR:-/tmp}/constellation-<uid>/<name>: a per-user place for a daemon's cache, named so
  // that two daemons on one machine do not race on one directory.
  static std::string default_dir(std::string_view name);

  const std::string& dir() const { return dir_; }
  // Where the binary with this hash is (or would be) stored. hash must satisfy is_sha256_hex.
  std::string path_of(std::string_view hash) const;
  // Whether the binary with this hash and size is stored.
  bool contains(std::string_view hash, std::uint64_t size) const;
  // The path of the binary with this hash, when it is stored and executable.
  std::optional<std::string> find(std::string_view hash) const;
  // Stores bytes as the binary with this hash, after checking that they are; atomically, so that
  // a crash leaves no half-written binary under its name. Blocks on the disk.
  std::expected<void, std::string> store(std::string_view hash, std::string_view bytes) const;
  // The stored bytes of a binary; an error when missing or unreadable. Blocks on the disk.
  std::expected<std::string, std::string> load(std::string_view hash) const;

  struct usage {
    std::uint64_t binaries = 0;
    std::uint64_t bytes = 0;
  };
  // The binaries stored now and their size (files being written not counted). Reads the
  // directory: blocks on the disk.
  usage current_usage() const;

 private:
  explicit binary_cache(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace constellation::cluster
