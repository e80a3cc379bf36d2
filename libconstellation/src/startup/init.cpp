// init(): decides what this run of the program is. The process the user started becomes the
// bridge and forks the monitor of the top process, in which main() goes on. A process re-executed
// by a node agent becomes a monitor, whose forked child runs the spawned function; or it becomes
// the job's fork server, whose forked children become monitors as a re-executed process would.

#include <constellation/init.hpp>

#include "agent/listener.hpp"
#include "agent/local_job.hpp"
#include "channel/spin_policy.hpp"
#include "channel/transport.hpp"
#include "crypto/crypto.hpp"
#include "identity/code_identity.hpp"
#include "identity/entry_registry.hpp"
#include "posix/unique_fd.hpp"
#include "process/fork_server.hpp"
#include "process/launcher.hpp"
#include "process/monitor.hpp"
#include "report/event_writer.hpp"
#include "runtime/pid_access.hpp"
#include "runtime/process_state.hpp"
#include "wire/messages.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace constellation {

namespace {

// From /proc/self/stat, whose 20th field counts the threads; read into the stack, because every
// monitor asks this before it forks, and a heap buffer would cost it page faults.
std::size_t thread_count() {
  char stat[1024];
  const posix::unique_fd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  const ssize_t n = ::read(fd.get(), stat, sizeof stat - 1);
  if (n <= 0) return 0;
  stat[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from its
  // last ')'. num_threads is the 18th field after it.
  const char* field = std::strrchr(stat, ')');
  for (int skipped = 0; field && skipped < 18; ++skipped) field = std::strchr(field + 1, ' ');
  return field ? static_cast<std::size_t>(std::strtoul(field + 1, nullptr, 10)) : 0;
}

// Whether threads besides the calling one run: forking then would copy a process whose other
// threads' locks may be held. ThreadSanitizer runs a thread of its own in every process from
// before main(), which holds none of the program's locks and is stopped around a fork.
bool other_threads_running() {
#if defined(__SANITIZE_THREAD__)
  constexpr std::size_t own_threads = 2;
#else
  constexpr std::size_t own_threads = 1;
#endif
  return thread_count() > own_threads;
}

constexpr const char* late_init_message =
    "constellation::init() was called after this process started threads: call init() as the "
    "first statement of main(), before anything starts a thread";

std::vector<std::string> command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  for (std::size_t start = 0; start < all.size();) {
    auto end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return argv;
}

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

bool environment_flag(const char* name) {
  const char* value = std::getenv(name);
  return value && std::strcmp(value, "1") == 0;
}

// Messages of a megabyte and more would each get fresh pages from mmap and fault them in, and the
// heap would hand freed space back to the kernel between messages. Keep large buffers in the
// heap: a process's footprint stays at its high-water mark, which its memory limit allows anyway.
void tune_allocator() {
  ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

void install(const wire::launch_spec& spec, const process::monitor_fds& kept) {
  tune_allocator();
  auto state = std::make_unique<runtime::process_state>();
  state->self = spec.self;
  state->parent = spec.parent;
  state->needs = spec.needs;
  state->deployed = spec.deployed;
  state->job_secret = spec.job_secret;
  state->listener_fd = kept.listener;
  state->control = std::make_unique<runtime::control_client>(posix::unique_fd(kept.control));
  if (spec.enforce_limits) channel::spin_policy::limit_to_cpu_share(spec.needs.cpu);
  channel::transport::start(*state);
  auto* control = state->control.get();
  state->progress = std::make_unique<runtime::progress_reporter>(runtime::progress_reporter::hooks{
      [control](const std::string& frame) { control->send_one_way(frame); },
      [](runtime::progress_reporter::clock::duration delay, std::function<void()> f) {
        channel::transport::get("constellation::report_progress()").run_after(delay, std::move(f));
      }});
  state->counters = std::make_unique<runtime::counter_reporter>(runtime::counter_reporter::hooks{
      [control](const std::string& frame) { control->send_one_way(frame); },
      [](runtime::counter_reporter::clock::duration delay, std::function<void()> f) {
        channel::transport::get("constellation::add_to_counter()").run_after(delay, std::move(f));
      }});
  // Registered after the transport's own handler, so it runs before it, while the agent still
  // listens.
  std::atexit([] {
    if (auto* process = runtime::current_process()) {
      process->progress->deliver_pending();
      process->counters->deliver_pending();
    }
  });
  runtime::install_process_state(std::move(state));
}

[[noreturn]] void refuse_launch(int report_fd, const std::string& message) {
  const std::string bytes = wire::encode_message(wire::launch_failed_report{message});
  (void)!::write(report_fd, bytes.data(), bytes.size());
  ::_exit(125);
}

struct resolved_entry {
  detail::entry_function entry = nullptr;
  detail::erased_function function = nullptr;
};

// Finds the spawned function in this process, refusing anything that is not a registered entry
// of this very build.
std::expected<resolved_entry, std::string> resolve(const wire::launch_spec& spec) {
  auto entry = identity::locate_code(spec.entry);
  if (!entry) return std::unexpected(entry.error());
  auto function = identity::locate_code(spec.function);
  if (!function) return std::unexpected(function.error());
  auto typed_entry = reinterpret_cast<detail::entry_function>(const_cast<void*>(*entry));
  if (!identity::is_registered_entry(typed_entry))
    return std::unexpected("the spawned entry at offset " + std::to_string(spec.entry.offset) +
                           " is not a spawn entry of this program");
  return resolved_entry{typed_entry,
                        reinterpret_cast<detail::erased_function>(const_cast<void*>(*function))};
}

// This process was re-executed by a node agent to be a monitor. Returns only in the deployed top
// process; a spawned function's process exits when the function returns.
void start_as_monitor() {
  auto taken = process::take_launch_spec();
  if (!taken) refuse_launch(4, taken.error());
  auto& [spec, fds] = *taken;
  if (other_threads_running())
    refuse_launch(fds.report,
                  "the program starts threads before main() calls constellation::init(); "
                  "constellation cannot start processes of it safely");
  resolved_entry target;
  if (spec.what == wire::launch_spec::kind::function) {
    auto resolved = resolve(spec);
    if (!resolved) refuse_launch(fds.report, resolved.error());
    target = *resolved;
  }
  auto kept = process::become_monitor(spec, fds);
  install(spec, kept);
  if (spec.what == wire::launch_spec::kind::top) return;
  target.entry(spec.parent, target.function, spec.arguments);
  // Delivered before static objects start to go away; exit() then finds nothing left to do.
  channel::transport::get("constellation::init()").deliver_before_exit();
  std::exit(0);
}

std::unique_ptr<report::event_writer> writer_from_environment() {
  const char* requested = std::getenv("CONSTELLATION_FORMAT");
  if (!requested || !*requested) return report::make_event_writer(report::output_format::human);
  auto format = report::parse_output_format(requested);
  if (!format) {
    std::fprintf(stderr,
                 "constellation: CONSTELLATION_FORMAT is '%s': it must be 'human' or 'json'\n",
                 requested);
    std::exit(2);
  }
  return report::make_event_writer(*format);
}

agent::spawn_method spawn_method_from_environment() {
  const char* requested = std::getenv(agent::spawn_method_variable);
  if (!requested || !*requested) return agent::spawn_method::fork_server;
  auto method = agent::parse_spawn_method(requested);
  if (!method) {
    std::fprintf(stderr,
                 "constellation: CONSTELLATION_SPAWN is '%s': it must be 'fork' or 'exec'\n",
                 requested);
    std::exit(2);
  }
  return *method;
}

std::uint64_t new_job_id() {
  std::uint64_t id = 0;
  while (id == 0) {
    auto bytes = crypto::random_bytes(sizeof id);
    std::memcpy(&id, bytes.data(), sizeof id);
  }
  return id;
}

[[noreturn]] void fail_start(const std::string& what) {
  std::fprintf(stderr, "constellation::init(): cannot start the job: %s\n", what.c_str());
  std::exit(70);
}

// This process is the one the user started: it becomes the bridge. Returns in the top process.
void start_job(const resources& initial) {
  auto writer = writer_from_environment();
  agent::job_settings settings;
  settings.job = new_job_id();
  settings.secret = crypto::random_bytes(32);
  settings.image = {"/proc/self/exe", command_line(), environment()};
  settings.enforce_limits = environment_flag("CONSTELLATION_ENFORCE_LIMITS");
  settings.method = spawn_method_from_environment();

  auto listener = agent::open_listener();
  if (!listener) fail_start(listener.error());
  int report[2], control[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report) != 0 ||
      ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0)
    fail_start(std::string("socketpair: ") + std::strerror(errno));
  // The bridge's ends, and the monitor's.
  posix::unique_fd report_ours(report[0]), control_ours(control[0]);
  posix::unique_fd report_theirs(report[1]), control_theirs(control[1]);

  wire::launch_spec spec;
  spec.what = wire::launch_spec::kind::top;
  spec.self = detail::pid_access::make(settings.job, 1, listener->ipv4, listener->port);
  spec.needs = initial;
  spec.job_secret = settings.secret;
  spec.enforce_limits = settings.enforce_limits;

  // Orphans of the job (a process whose parent exited) become the bridge's children, so that
  // the bridge reaps them and nothing is left behind.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::fflush(nullptr);
  const pid_t monitor = ::fork();
  if (monitor < 0) fail_start(std::string("fork: ") + std::strerror(errno));
  if (monitor == 0) {
    report_ours.reset();
    control_ours.reset();
    auto kept = process::become_monitor(
        spec, {report_theirs.release(), control_theirs.release(), listener->fd.release(), 0});
    install(spec, kept);
    return;
  }
  report_theirs.reset();
  control_theirs.reset();
  listener->fd.reset();
  int code;
  {
    agent::local_job job(std::move(settings), std::move(writer));
    job.adopt_top(spec, monitor, report_ours.release(), control_ours.release());
    code = job.run();
  }
  std::fflush(nullptr);
  // Not exit(): the user's static objects belong to the processes that ran user code.
  ::_exit(code);
}

}  // namespace

void init(resources initial) {
  // OpenSSL must outlive the delivery of the last messages at exit, which runs in an exit handler
  // of ours: keep it from registering its own clean-up, which would run first.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  static std::atomic<bool> called{false};
  if (called.exchange(true))
    throw std::logic_error(
        "constellation::init() was called twice: call it once, as the first statement of main()");
  if (process::started_as_monitor()) {
    start_as_monitor();
    return;
  }
  if (process::started_as_fork_server()) {
    // A server that cannot fork safely leaves at once: its agent then executes every process,
    // whose monitor refuses to start it and says why.
    if (other_threads_running()) ::_exit(0);
    crypto::prepare_for_forks();
    process::serve_forks();  // returns in a forked child, which goes on as an executed monitor
    start_as_monitor();
    return;
  }
  if (environment_flag("CONSTELLATION_RECCE")) {
    std::printf("%s\n", to_json(initial).c_str());
    std::fflush(stdout);
    std::exit(0);
  }
  if (other_threads_running()) throw std::logic_error(late_init_message);
  start_job(initial);
}

}  // namespace constellation
