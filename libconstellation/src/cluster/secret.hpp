#pragma once
// The cluster's shared secret, and the per-job secrets derived from it.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace constellation::cluster {

struct cluster_secret {
  std::string bytes;
  std::string path;
  // Given by --secret-file or CONSTELLATION_SECRET_FILE. Without one, a per-user default file is
  // used (made on first use), and daemons listen on loopback only.
  bool chosen = false;
};

// --secret-file, else CONSTELLATION_SECRET_FILE, else ~/.constellation/secret (created with a
// random secret, mode 600, when missing). The error names the file and the fix.
std::expected<cluster_secret, std::string> resolve_secret(const std::optional<std::string>& flag);

// A job's channel secret: derived by every node from the cluster secret, so it never travels.
std::string job_secret(const std::string& cluster_secret, std::uint64_t job);

}  // namespace constellation::cluster
