#include "config/nodes_config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <constellation/resources.hpp>
#include "posix/unique_fd.hpp"

namespace constellation::fabric {
namespace {

constexpr std::array<std::string_view, 4> node_keys{"fabric_addr", "bridge_bind", "mem", "cpu"};

// Placement counts cores in millionths (placement.hpp), so a smaller capacity would round to none;
// the upper bound keeps that count far from overflowing.
constexpr double min_cpu = 1e-6;
constexpr double max_cpu = 1e6;

std::string format_number(double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return ec == std::errc{} ? std::string(text, end) : "?";
}

// The text in double quotes as TOML would write it, shortened so a message stays one line.
std::string quote(std::string_view text) {
  constexpr std::size_t max_shown = 60;
  std::string out = "\"";
  for (const char c : text.substr(0, max_shown)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  if (text.size() > max_shown) out += "...";
  return out + "\"";
}

// What a value is, for "found ...": a string as written, anything else with its type named, since
// the usual mistake is the type (mem = 2.5, cpu = "2").
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return quote(node.as_string()->get());
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get()) + " (an integer)";
    case toml::node_type::floating_point:
      return format_number(node.as_floating_point()->get()) + " (a floating-point number)";
    case toml::node_type::boolean:
      return std::string(node.as_boolean()->get() ? "true" : "false") + " (a boolean)";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The allowed key a misspelt one most likely meant: "cpus", "Mem", "memory", "fabric_address".
std::optional<std::string_view> likely_meant(std::string_view key,
                                             std::span<const std::string_view> allowed) {
  const std::string typed = lowercase(key);
  for (const std::string_view candidate : allowed) {
    const bool prefix = std::min(typed.size(), candidate.size()) >= 3 &&
                        (typed.starts_with(candidate) || candidate.starts_with(typed));
    if (prefix || edit_distance(typed, candidate) <= 2) return candidate;
  }
  return std::nullopt;
}

// Reads one file's tables; every message it makes starts with "path:line:column: ".
class reader {
 public:
  explicit reader(const std::string& path) : path_(path) {}

  std::string at(const toml::source_position& where) const {
    // toml++ reports 0 for a position it does not know; 1:1 still leads an editor to the file.
    return path_ + ":" + std::to_string(std::max<std::uint32_t>(where.line, 1)) + ":" +
           std::to_string(std::max<std::uint32_t>(where.column, 1)) + ": ";
  }

  std::expected<cluster_config, std::string> read(const toml::table& root) {
    for (const auto& [key, value] : in_file_order(root)) {
      if (key->str() == "nodes") continue;
      std::string message = at(key->source().begin) + std::string(key->str()) +
                            ": unknown key; a cluster description holds only [[nodes]] entries";
      if (likely_meant(key->str(), std::array<std::string_view, 1>{"nodes"}))
        message += " (did you mean [[nodes]]?)";
      return std::unexpected(message);
    }
    const toml::node* nodes = root.get("nodes");
    if (nodes == nullptr) {
      return std::unexpected(at({1, 1}) +
                             "no [[nodes]] entries: describe each node of the cluster in a "
                             "[[nodes]] table with fabric_addr, mem and cpu, the master first "
                             "(see nodes.example.toml)");
    }
    const toml::array* entries = nodes->as_array();
    if (entries == nullptr) {
      return std::unexpected(
          at(nodes->source().begin) + "nodes: expected [[nodes]] tables, one per node, found " +
          describe(*nodes) + (nodes->is_table() ? " ([nodes], not [[nodes]])" : ""));
    }
    if (entries->empty()) {
      return std::unexpected(at(nodes->source().begin) +
                             "nodes: expected at least one [[nodes]] entry, found an empty array");
    }
    cluster_config config{path_, {}};
    for (const toml::node& entry : *entries) {
      const toml::table* table = entry.as_table();
      if (table == nullptr) {
        return std::unexpected(
            at(entry.source().begin) +
            "nodes: expected each entry to be a table such as [[nodes]], found " + describe(entry));
      }
      auto node = read_node(*table);
      if (!node) return std::unexpected(node.error());
      config.nodes.push_back(std::move(*node));
    }
    if (auto refused = wildcard_conflict(config)) return std::unexpected(*refused);
    return config;
  }

 private:
  using key_value = std::pair<const toml::key*, const toml::node*>;

  // Tables iterate in key order; checking in file order makes "the first problem" the first one
  // a reader of the file meets.
  static std::vector<key_value> in_file_order(const toml::table& table) {
    std::vector<key_value> entries;
    for (const auto& [key, value] : table) entries.emplace_back(&key, &value);
    std::ranges::sort(entries, [](const key_value& a, const key_value& b) {
      return a.first->source().begin < b.first->source().begin;
    });
    return entries;
  }

  std::expected<node_config, std::string> read_node(const toml::table& table) {
    node_config node;
    bool has_fabric = false, has_mem = false, has_cpu = false;
    for (const auto& [key, value] : in_file_order(table)) {
      const std::string_view name = key->str();
      if (name == "fabric_addr" || name == "bridge_bind") {
        auto address = read_address(name, *value);
        if (!address) return std::unexpected(address.error());
        if (name == "fabric_addr" && address->ipv4 == 0) {
          return std::unexpected(
              at(value->source().begin) +
              "fabric_addr: expected the address other nodes connect to, found " +
              describe(*value) + ", which names no machine; write this node's IPv4 address");
        }
        if (auto refused = claim(name, *value, *address)) return std::unexpected(*refused);
        std::string written = at(value->source().begin);
        written.resize(written.size() - 2);  // without the trailing ": "
        if (name == "fabric_addr") {
          node.fabric = std::move(*address);
          node.fabric_at = std::move(written);
          has_fabric = true;
        } else {
          node.bridge = std::move(*address);
          node.bridge_at = std::move(written);
        }
      } else if (name == "mem") {
        auto mem = read_mem(*value);
        if (!mem) return std::unexpected(mem.error());
        node.mem = *mem;
        has_mem = true;
      } else if (name == "cpu") {
        auto cpu = read_cpu(*value);
        if (!cpu) return std::unexpected(cpu.error());
        node.cpu = *cpu;
        has_cpu = true;
      } else {
        return std::unexpected(unknown_key(*key));
      }
    }
    const std::string where = at(table.source().begin) + "[[nodes]] entry has no ";
    if (!has_fabric) {
      return std::unexpected(where +
                             "fabric_addr: add the address its daemon listens on, such as "
                             "fabric_addr = \"10.0.0.2:9999\"");
    }
    if (!has_mem)
      return std::unexpected(where + "mem: add its memory capacity, such as mem = \"2 GiB\"");
    if (!has_cpu)
      return std::unexpected(where + "cpu: add its number of logical cores, such as cpu = 4");
    return node;
  }

  std::string unknown_key(const toml::key& key) const {
    std::string message = at(key.source().begin) + std::string(key.str()) + ": unknown key";
    if (const auto meant = likely_meant(key.str(), node_keys))
      message += " (did you mean " + std::string(*meant) + "?)";
    return message + "; a [[nodes]] entry allows only fabric_addr, bridge_bind, mem and cpu";
  }

  std::expected<cluster::endpoint, std::string> read_address(std::string_view name,
                                                             const toml::node& value) const {
    const auto* text = value.as_string();
    if (text == nullptr) {
      return std::unexpected(at(value.source().begin) + std::string(name) +
                             ": expected a string such as \"10.0.0.1:9999\", found " +
                             describe(value));
    }
    auto parsed = cluster::parse_endpoint(text->get());
    if (!parsed) {
      return std::unexpected(at(value.source().begin) + std::string(name) + ": " + parsed.error());
    }
    return parsed;
  }

  // Two listeners cannot bind one address and port, and two entries for one daemon would count
  // its capacity twice; so every fabric_addr and bridge_bind must differ from all the others.
  // The refusal, if e is taken; otherwise records where it was claimed.
  std::optional<std::string> claim(std::string_view name, const toml::node& value,
                                   const cluster::endpoint& e) {
    std::string where = at(value.source().begin);
    const auto key = std::pair{e.ipv4, e.port};
    if (const auto taken = claimed_.find(key); taken != claimed_.end()) {
      return where + std::string(name) + ": " + describe(value) + " is already used by " +
             taken->second +
             "; every fabric_addr and bridge_bind must be a different address and port";
    }
    where.resize(where.size() - 2);  // without the trailing ": "
    claimed_.emplace(key, std::string(name) + " at " + where);
    return std::nullopt;
  }

  // A bridge_bind on 0.0.0.0:P takes port P on every address of its machine: the exact-address
  // check in claim() lets it pass beside a fabric_addr on P of the same machine, and then one of
  // the two cannot listen. Which entries share a machine is known only where the file says so:
  // the same IPv4 address, or both on loopback (every 127.x entry runs on the master's machine).
  static bool same_machine(const node_config& a, const node_config& b) {
    return a.fabric.ipv4 == b.fabric.ipv4 ||
           (cluster::is_loopback(a.fabric) && cluster::is_loopback(b.fabric));
  }

  std::optional<std::string> wildcard_conflict(const cluster_config& config) const {
    for (const auto& node : config.nodes) {
      if (!node.bridge || node.bridge->ipv4 != 0) continue;
      const auto port = node.bridge->port;
      for (const auto& other : config.nodes) {
        if (!same_machine(node, other)) continue;
        std::string taken;
        if (other.fabric.port == port)
          taken = "fabric_addr at " + other.fabric_at;
        else if (&other != &node && other.bridge && other.bridge->port == port)
          taken = "bridge_bind at " + other.bridge_at;
        if (taken.empty()) continue;
        return node.bridge_at + ": bridge_bind: \"" + node.bridge->text + "\" takes port " +
               std::to_string(port) + " on every address of its machine, but " + taken +
               " uses that port there; give the bridge another port, or its node's own address";
      }
    }
    return std::nullopt;
  }

  std::expected<std::uint64_t, std::string> read_mem(const toml::node& value) const {
    const std::string expected =
        "mem: expected a size such as \"512 MiB\", \"2 GiB\" or an integer number of bytes";
    std::optional<std::uint64_t> mem;
    if (const auto* text = value.as_string()) {
      mem = parse_bytes(text->get());
    } else if (const auto* integer = value.as_integer();
               integer != nullptr && integer->get() >= 0) {
      mem = static_cast<std::uint64_t>(integer->get());
    }
    if (!mem)
      return std::unexpected(at(value.source().begin) + expected + ", found " + describe(value));
    if (*mem == 0) {
      return std::unexpected(at(value.source().begin) +
                             "mem: expected the node's memory capacity, more than 0 bytes, found " +
                             describe(value) + "; write a size such as \"2 GiB\"");
    }
    return *mem;
  }

  std::expected<double, std::string> read_cpu(const toml::node& value) const {
    const std::string where = at(value.source().begin) + "cpu: ";
    if (!value.is_number()) {
      std::string message =
          where + "expected a number of logical cores such as 16 or 0.5, found " + describe(value);
      if (const auto* text = value.as_string()) {
        double number = 0;
        const std::string_view s = text->get();
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
        if (ec == std::errc{} && end == s.data() + s.size())
          message += "; write the number without quotes";
      }
      return std::unexpected(message);
    }
    const double cpu = value.value<double>().value_or(0);
    if (!std::isfinite(cpu)) {
      return std::unexpected(where +
                             "expected a finite number of logical cores such as 16 or 0.5, found " +
                             describe(value));
    }
    if (cpu <= 0) {
      return std::unexpected(
          where + "expected a number of logical cores above 0, such as 16 or 0.5, found " +
          describe(value));
    }
    if (cpu < min_cpu || cpu > max_cpu) {
      return std::unexpected(where +
                             "expected from 0.000001 to 1000000 logical cores (they are "
                             "counted in millionths), found " +
                             describe(value));
    }
    return cpu;
  }

  std::string path_;
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::string> claimed_;  // -> "key at path:l:c"
};

}  // namespace

std::expected<cluster_config, std::string> parse_nodes_toml(std::string_view text,
                                                            const std::string& path) {
  reader r(path);
  // toml++ 3.3.0, Debian 12's, reaches __builtin_unreachable() on many non-ASCII characters where
  // it expects whitespace (its is_non_ascii_horizontal_whitespace), and what follows is undefined;
  // a cluster description needs nothing beyond ASCII, so such bytes are refused before it parses.
  if (const auto at =
          std::ranges::find_if(text, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      at != text.end()) {
    const auto before = text.substr(0, static_cast<std::size_t>(at - text.begin()));
    const auto newline = before.rfind('\n');
    const auto line = static_cast<std::uint32_t>(std::ranges::count(before, '\n') + 1);
    const auto column = static_cast<std::uint32_t>(
        newline == std::string_view::npos ? before.size() + 1 : before.size() - newline);
    return std::unexpected(r.at({line, column}) +
                           "a non-ASCII character; write the cluster description in ASCII only, "
                           "comments included");
  }
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& error) {
    return std::unexpected(r.at(error.source().begin) +
                           "not valid TOML: " + std::string(error.description()));
  }
  return r.read(root);
}

std::expected<cluster_config, std::string> load_nodes_toml(const std::string& path) {
  const auto failure = [&](const std::string& why) {
    return std::unexpected(path + ": cannot read the cluster description: " + why);
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const posix::unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!file) {
    const int error = errno;
    return failure(std::string(std::strerror(error)) +
                   (error == ENOENT ? "; start from nodes.example.toml" : ""));
  }
  const int fd = file.get();
  struct stat info {};
  if (::fstat(fd, &info) != 0) return failure(std::strerror(errno));
  if (!S_ISREG(info.st_mode)) {
    return failure(std::string("it is not a regular file but ") +
                   (S_ISDIR(info.st_mode)    ? "a directory"
                    : S_ISFIFO(info.st_mode) ? "a FIFO (named pipe)"
                                             : "a special file") +
                   "; give the path of a nodes.toml file (see nodes.example.toml)");
  }
  // A regular file never blocks; clear O_NONBLOCK anyway so a read cannot end early with EAGAIN.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure(std::strerror(errno));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return parse_nodes_toml(text, path);
}

std::optional<std::string> loopback_only_problem(const cluster_config& config) {
  for (const auto& node : config.nodes) {
    const auto off = [](const std::string& at, const char* key, const cluster::endpoint& e) {
      return at + ": " + key + ": \"" + e.text +
             "\" is not a loopback address, and without a chosen secret the daemons serve this "
             "machine only: give every daemon the same secret with --secret-file F or "
             "CONSTELLATION_SECRET_FILE (F: 32+ bytes, mode 600, "
             "e.g. (umask 077; openssl rand -hex 32 > F)), or use a 127.x.x.x address";
    };
    if (!cluster::is_loopback(node.fabric)) return off(node.fabric_at, "fabric_addr", node.fabric);
    if (node.bridge && !cluster::is_loopback(*node.bridge))
      return off(node.bridge_at, "bridge_bind", *node.bridge);
  }
  return std::nullopt;
}

std::optional<std::string> master_entry_problem(const cluster_config& config,
                                                const cluster::endpoint& listen) {
  const auto& master = config.nodes.front();
  if (master.fabric == listen) return std::nullopt;
  return master.fabric_at +
         ": fabric_addr: the first [[nodes]] entry is the master itself, so its fabric_addr \"" +
         master.fabric.text + "\" must equal LISTEN " + listen.text +
         ": start the master with LISTEN " + master.fabric.text + ", or put its own entry first";
}

}  // namespace constellation::fabric
