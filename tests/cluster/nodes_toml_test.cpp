// The master refuses a malformed nodes.toml before it does anything else, pointing at the place:
// "FILE:LINE:COLUMN: what is wrong", exit code 2.
#include "fixture/local_cluster.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace cluster_test;

namespace {

struct malformed_case {
  const char* name;
  const char* text;
  const char* position;  // LINE:COLUMN
  const char* says;      // a phrase the message must hold
};

// The master's own entry is always 127.0.0.11:29001, its LISTEN address.
const malformed_case cases[] = {
    {"an unterminated string",
     "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nmem = \"2 GiB\ncpu = 2\n", "3:13",
     "not valid TOML"},
    {"a misspelt key in the second entry",
     "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nmem = \"2 GiB\"\ncpu = 2\n\n"
     "[[nodes]]\nfabric_addr = \"127.0.0.12:29001\"\nmemory = \"1 GiB\"\ncpu = 1\n",
     "8:1", "did you mean mem?"},
    {"a negative cpu", "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nmem = \"2 GiB\"\ncpu = -1\n",
     "4:7", "above 0"},
    {"a size without a unit that means anything",
     "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nmem = \"lots\"\ncpu = 2\n", "3:7",
     "found \"lots\""},
    {"a port out of range",
     "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nmem = \"2 GiB\"\ncpu = 2\n[[nodes]]\n"
     "fabric_addr = \"127.0.0.12:99999\"\nmem = \"1 GiB\"\ncpu = 1\n",
     "6:15", "out of range"},
    {"an address used twice",
     "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nbridge_bind = \"127.0.0.11:29001\"\nmem = \"2 "
     "GiB\"\ncpu = 2\n",
     "3:15", "already used"},
    {"a wildcard bridge_bind on the fabric's port",
     "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nbridge_bind = \"0.0.0.0:29001\"\nmem = \"2 "
     "GiB\"\ncpu = 2\n",
     "3:15", "port 29001"},
    {"a first entry that is not the master",
     "[[nodes]]\nfabric_addr = \"127.0.0.12:29001\"\nmem = \"2 GiB\"\ncpu = 2\n", "2:15",
     "must equal LISTEN 127.0.0.11:29001"},
};

class scratch_folder {
 public:
  scratch_folder() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/constellation-nodes-toml-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~scratch_folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  scratch_folder(const scratch_folder&) = delete;
  scratch_folder& operator=(const scratch_folder&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0644) const {
    const auto path = path_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("a malformed nodes.toml gives file:line:column") {
  scratch_folder folder;
  const auto secret = folder.write(
      "secret", "3f1c0a9be0d24c7d8e5f6a1b2c3d4e5f3f1c0a9be0d24c7d8e5f6a1b2c3d4e5f\n", 0600);
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto path = folder.write("nodes.toml", c.text);
    const auto run = run_to_end(
        {{fabric_program(), "--secret-file", secret, "127.0.0.11:29001", path}, {}, {}, {}},
        milliseconds(5000));
    CAPTURE(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.starts_with(path + ":" + c.position + ": "));
    CHECK(run.err.find(c.says) != std::string::npos);
    // One line, no usage text or trace: the message is the whole answer.
    CHECK(run.err.find('\n') == run.err.size() - 1);
  }
}

TEST_CASE("without a secret, the nodes.toml entry off loopback is named at its position") {
  scratch_folder folder;
  // The per-user default secret is made in this HOME; no secret is chosen.
  const auto path = folder.write(
      "nodes.toml",
      "[[nodes]]\nfabric_addr = \"127.0.0.11:29001\"\nmem = \"2 GiB\"\ncpu = 2\n\n"
      "[[nodes]]\nfabric_addr = \"127.0.0.12:29001\"\nbridge_bind = \"0.0.0.0:29000\"\n"
      "mem = \"1 GiB\"\ncpu = 1\n");
  const auto run = run_to_end({{fabric_program(), "127.0.0.11:29001", path},
                               {"HOME=" + folder.path()},
                               {"CONSTELLATION_SECRET_FILE"},
                               {}},
                              milliseconds(5000));
  CAPTURE(run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.starts_with(path + ":8:15: bridge_bind: "));
  CHECK(run.err.find("--secret-file") != std::string::npos);
  CHECK(run.err.find('\n') == run.err.size() - 1);
}
