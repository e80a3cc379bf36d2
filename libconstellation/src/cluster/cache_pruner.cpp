#include "cluster/cache_pruner.hpp"

#include "cluster/cache_pruning_policy.hpp"

#include <constellation/resources.hpp>

namespace constellation::cluster {

namespace {

using policy = cache_pruning_policy;

// "3 h": the time since a last use, in its largest whole unit, for a log line.
std::string rough_age(policy::clock::duration age) {
  using namespace std::chrono;
  const auto s = duration_cast<seconds>(age);
  if (s >= days(1)) return std::to_string(duration_cast<days>(s).count()) + " d";
  if (s >= hours(1)) return std::to_string(duration_cast<hours>(s).count()) + " h";
  if (s >= minutes(1)) return std::to_string(duration_cast<minutes>(s).count()) + " min";
  return std::to_string(std::max<seconds::rep>(s.count(), 0)) + " s";
}

}  // namespace

cache_pruner::cache_pruner(boost::asio::any_io_executor executor, binary_cache cache,
                           cache_bounds bounds, const daemon_log& log, std::string what,
                           in_use_function in_use)
    : timer_(std::move(executor)),
      cache_(std::move(cache)),
      bounds_(bounds),
      log_(log),
      what_(std::move(what)),
      in_use_(std::move(in_use)) {}

void cache_pruner::start() {
  prune();
  arm();
}

void cache_pruner::arm() {
  timer_.expires_after(cache_prune_interval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    prune();
    arm();
  });
}

void cache_pruner::prune(std::string_view keep) {
  const auto now = policy::clock::now();
  if (const auto leftovers = cache_.remove_leftover_uploads(now - leftover_upload_age);
      leftovers > 0)
    log_.info("removed " + std::to_string(leftovers) + " unfinished upload(s) from " + what_ +
              ", left by an earlier run");
  const auto in_use = in_use_ ? in_use_() : std::set<std::string>();
  std::vector<policy::entry> entries;
  for (auto& binary : cache_.list()) {
    const bool used = binary.hash == keep || in_use.contains(binary.hash);
    entries.push_back({std::move(binary.hash), binary.bytes, binary.last_used, used});
  }
  for (const auto& chosen : policy(bounds_).choose(std::move(entries), now)) {
    const auto& e = chosen.what;
    if (auto removed = cache_.remove(e.id); !removed) {
      log_.warn("cannot prune " + what_ + ": " + removed.error());
      continue;
    }
    ++evicted_;
    const std::string why = chosen.why == policy::reason::unused_too_long
                                ? "unused for more than " + format_age(*bounds_.max_age)
                                : "the cache held more than " + format_bytes(*bounds_.max_bytes);
    log_.info("removed binary " + e.id.substr(0, 12) + " (" + std::to_string(e.bytes) +
              " bytes, last used " + rough_age(now - e.last_used) + " ago) from " + what_ + ": " +
              why);
  }
}

}  // namespace constellation::cluster
