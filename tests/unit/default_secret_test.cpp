// The per-user default secret (~/.constellation/secret) is made by whichever daemon or client
// needs it first; several started at once on a fresh account must all succeed and agree.
#include "cluster/secret.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace constellation;

namespace {

// HOME pointed at a fresh directory, CONSTELLATION_SECRET_FILE unset, both restored at the end.
class fresh_home {
 public:
  fresh_home() {
    char pattern[] = "/tmp/default_secret_test.XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    if (const char* home = std::getenv("HOME")) old_home_ = home;
    if (const char* file = std::getenv("CONSTELLATION_SECRET_FILE")) old_file_ = file;
    ::setenv("HOME", dir_.c_str(), 1);
    ::unsetenv("CONSTELLATION_SECRET_FILE");
  }
  ~fresh_home() {
    if (old_home_)
      ::setenv("HOME", old_home_->c_str(), 1);
    else
      ::unsetenv("HOME");
    if (old_file_) ::setenv("CONSTELLATION_SECRET_FILE", old_file_->c_str(), 1);
    std::filesystem::remove_all(dir_);
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_home_, old_file_;
};

}  // namespace

TEST_CASE(
    "default secret: made by many at once on a fresh account, every one succeeds and agrees") {
  // Each round starts from a fresh HOME, so every round races on creating the file.
  for (int round = 0; round < 30; ++round) {
    fresh_home home;
    constexpr int racers = 8;
    std::vector<std::expected<cluster::cluster_secret, std::string>> results(racers);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < racers; ++i)
        threads.emplace_back([&results, i] { results[i] = cluster::resolve_secret(std::nullopt); });
    }
    for (const auto& result : results) {
      CAPTURE(round);
      REQUIRE_MESSAGE(result.has_value(), result.error());
      CHECK_FALSE(result->chosen);
      CHECK(result->path == (home.dir() / ".constellation" / "secret").string());
      CHECK(result->bytes == results.front()->bytes);
    }
    // Nothing but the secret is left in the folder: no temporary file of a racer that lost.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator(home.dir() / ".constellation"))
      ++files;
    CHECK(files == 1);
  }
}
