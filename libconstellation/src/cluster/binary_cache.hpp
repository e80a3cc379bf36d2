#pragma once
// The binaries a daemon was sent, one file per binary named by the SHA-256 of its bytes
// (crypto::sha256_hex), so that a program deployed again is not sent again. The bridge keeps the
// binaries clients upload (to run the recce and to hand them to the master), the master those
// bridges send it (to forward them to nodes), and each node those it runs.
//
// A hash from a peer becomes a file name only once it is checked to be one (crypto::is_sha256_hex).
// A file appears under its name only complete and verified: it is written to a temporary file in
// the same directory, checked against its hash, and renamed into place. Directories and files are
// private to the user (0700): whoever could write there could make the daemon run their code.
//
// A binary's file's modification time is its last use: storing it and each lookup that finds it
// (contains, find, load) set it to now, so that it survives a restart of the daemon. Pruning
// (cache_pruner.hpp) reads it to remove the binaries unused the longest.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // Whether the binary with this hash and size is stored; if so, counts as a use of it.
  bool contains(std::string_view hash, std::uint64_t size) const;
  // The path of the binary with this hash, when it is stored and executable; counts as a use.
  std::optional<std::string> find(std::string_view hash) const;
  // Stores bytes as the binary with this hash, after checking that they are; atomically, so that
  // a crash leaves no half-written binary under its name. Blocks on the disk.
  std::expected<void, std::string> store(std::string_view hash, std::string_view bytes) const;
  // The stored bytes of a binary, a use of it; an error when missing or unreadable. Blocks on the
  // disk.
  std::expected<std::string, std::string> load(std::string_view hash) const;
  // Removes the binary with this hash; a process running it goes on (the file lives on until it
  // ends), but it cannot be started again from here. An error when it cannot be removed; none when
  // it is not there.
  std::expected<void, std::string> remove(std::string_view hash) const;
  // Removes what a store interrupted by a crash left behind: temporary files last written before
  // cutoff. Temporary files of a store under way are younger. Returns how many were removed.
  std::size_t remove_leftover_uploads(std::chrono::system_clock::time_point cutoff) const;

  struct stored_binary {
    std::string hash;
    std::uint64_t bytes = 0;
    std::chrono::system_clock::time_point last_used;
  };
  // Every binary stored now (files being written not included). Reads the directory: blocks on
  // the disk.
  std::vector<stored_binary> list() const;

  struct usage {
    std::uint64_t binaries = 0;
    std::uint64_t bytes = 0;
  };
  // The binaries stored now and their size, as list() finds them.
  usage current_usage() const;

 private:
  explicit binary_cache(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace constellation::cluster
