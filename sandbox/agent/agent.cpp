// kmgrade's guest agent: runs as /init of the sandbox VM (or as root on a student's own
// machine), loads each module of a plan with libkmod, records what the kernel did, and
// writes the observations to a channel of its own.

#include "observe/head_and_tail.h"
#include "observe/numbers.h"
#include "observe/observation.h"
#include "observe/trace_line.h"

#include <libkmod.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace kmgrade::observe;

namespace {

const std::string k_tracing = "/sys/kernel/tracing";

std::uint64_t now_ns()
{
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

std::string read_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, const std::string& text, bool append = false)
{
  int fd = ::open(path.c_str(), O_WRONLY | (append ? O_APPEND : O_TRUNC));
  if (fd < 0) {
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

std::string trim(std::string s)
{
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::vector<int> list_pids()
{
  std::vector<int> pids;
  DIR* dir = ::opendir("/proc");
  if (!dir) {
    return pids;
  }
  while (auto* ent = ::readdir(dir)) {
    if (std::isdigit(static_cast<unsigned char>(ent->d_name[0]))) {
      pids.push_back(std::atoi(ent->d_name));
    }
  }
  ::closedir(dir);
  return pids;
}

struct ProcStatus
{
  std::string name;
  char state = '?';
  int ppid = -1;
  std::string cpus_allowed;
};

std::optional<ProcStatus> proc_status(int pid)
{
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) {
    return std::nullopt;
  }
  ProcStatus st;
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (key == "Name") {
      st.name = value;
    } else if (key == "State") {
      st.state = value.empty() ? '?' : value[0];
    } else if (key == "PPid") {
      st.ppid = std::atoi(value.c_str());
    } else if (key == "Cpus_allowed_list") {
      st.cpus_allowed = value;
    }
  }
  return st;
}

bool is_worker_name(const std::string& comm)
{
  return comm.rfind("kworker/", 0) == 0 || comm.rfind("ksoftirqd/", 0) == 0;
}

std::map<std::string, SlabCache> slab_snapshot()
{
  std::map<std::string, SlabCache> caches;
  DIR* dir = ::opendir("/sys/kernel/slab");
  if (!dir) {
    return caches;
  }
  while (auto* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    std::string base = "/sys/kernel/slab/" + name;
    struct stat st{};
    if (::lstat(base.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      continue; // merged aliases are symlinks
    }
    SlabCache c;
    c.name = name;
    c.object_size = std::atol(read_file(base + "/object_size").c_str());
    c.objects = std::atol(read_file(base + "/objects").c_str());
    caches[name] = c;
  }
  ::closedir(dir);
  return caches;
}

// The sequence number of the newest kernel log record.
std::uint64_t current_kmsg_seq()
{
  std::uint64_t last = 0;
  int fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    return last;
  }
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n < 0 && errno == EPIPE) {
      continue; // records overwritten under us: keep reading the newer ones
    }
    if (n <= 0) {
      break;
    }
    if (auto rec = parse_kmsg_record(std::string_view(buf, static_cast<std::size_t>(n)))) {
      last = rec->seq;
    }
  }
  ::close(fd);
  return last;
}

// Reads the kernel log as it is written, on a thread of its own: a module that prints
// megabytes overwrites the kernel's ring buffer faster than a load ends, so the head of
// what it printed is only there to be read while it happens. Keeps the head and the tail of
// each load's records, counts the rest, and notices kernel trouble as soon as it is printed.
class KmsgFollower
{
public:
  void start()
  {
    m_fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (m_fd < 0) {
      return;
    }
    ::lseek(m_fd, 0, SEEK_END);
    std::thread([this] { follow(); }).detach();
  }

  void begin_load(std::size_t max_lines)
  {
    const std::uint64_t seq = current_kmsg_seq();
    std::lock_guard lock(m_mutex);
    m_after_seq = seq;
    m_keeping = true;
    m_kept = HeadAndTailKeeper<std::vector<LogRecord>>({max_lines, max_lines / 2});
    m_lost = 0;
    m_trouble = false;
    m_stall = false;
  }

  bool trouble_seen() const { return m_trouble; }
  // A soft lockup, RCU stall or hung task: a CPU that never schedules holds up every RCU
  // grace period, and reading the trace buffer waits for one.
  bool stall_seen() const { return m_stall; }

  // The load's records up to now (waiting briefly for the reader to catch up), and how many
  // were left out.
  std::vector<LogRecord> end_load(std::size_t& dropped)
  {
    const std::uint64_t until = current_kmsg_seq();
    for (int i = 0; i < 100 && m_fd >= 0; ++i) {
      {
        std::lock_guard lock(m_mutex);
        if (m_last_seq >= until) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(m_mutex);
    std::vector<LogRecord> out = m_kept.take_head();
    auto tail = m_kept.take_tail();
    out.insert(out.end(), std::make_move_iterator(tail.begin()), std::make_move_iterator(tail.end()));
    dropped = m_lost + m_kept.cut();
    m_keeping = false;
    return out;
  }

private:
  void follow()
  {
    char buf[8192];
    for (;;) {
      pollfd pfd{m_fd, POLLIN, 0};
      if (::poll(&pfd, 1, 200) <= 0) {
        continue;
      }
      ssize_t n = ::read(m_fd, buf, sizeof buf - 1);
      if (n < 0) {
        continue; // EPIPE: records overwritten before we read them; the seq gap counts them
      }
      auto rec = parse_kmsg_record(std::string_view(buf, static_cast<std::size_t>(n)));
      if (!rec) {
        continue;
      }
      std::lock_guard lock(m_mutex);
      keep(std::move(*rec));
    }
  }

  void keep(LogRecord rec)
  {
    const std::uint64_t seq = rec.seq;
    if (m_keeping && seq > m_after_seq) {
      const std::uint64_t first = std::max(m_last_seq, m_after_seq) + 1;
      if (seq > first) {
        m_lost += seq - first; // lost to the ring buffer
      }
      const auto kind = classify_log_line(rec.text);
      m_trouble = m_trouble || kind != KernelTrouble::none;
      m_stall = m_stall || is_stall(kind);
      m_kept.push_back(std::move(rec));
    }
    m_last_seq = std::max(m_last_seq, seq);
  }

  int m_fd = -1;
  std::mutex m_mutex;
  std::uint64_t m_after_seq = 0;
  std::uint64_t m_last_seq = 0;
  bool m_keeping = false; // between loads, records are not kept
  HeadAndTailKeeper<std::vector<LogRecord>> m_kept;
  std::size_t m_lost = 0; // records the ring buffer overwrote before they were read
  std::atomic<bool> m_trouble{false};
  std::atomic<bool> m_stall{false};
};

// Runs a libkmod call on a thread of its own, named for the kernel's reports ("task
// kmg-insmod:42 blocked for more than 10 seconds"): a module whose init or exit never
// returns then costs its own load, and the agent can still report it.
struct CallOutcome
{
  bool returned = false;
  int result = 0;
  std::uint64_t duration_ns = 0;
  int tid = 0;
};

CallOutcome call_with_watchdog(const char* thread_name, std::function<int()> call, std::chrono::milliseconds limit)
{
  struct Shared
  {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    CallOutcome outcome;
  };
  auto shared = std::make_shared<Shared>();
  {
    std::unique_lock lock(shared->mutex);
    std::thread([shared, thread_name, call = std::move(call)] {
      ::pthread_setname_np(::pthread_self(), thread_name);
      {
        std::lock_guard lock(shared->mutex);
        shared->outcome.tid = ::gettid();
        shared->done_cv.notify_all();
      }
      const std::uint64_t t0 = now_ns();
      const int result = call();
      const std::uint64_t took = now_ns() - t0;
      std::lock_guard lock(shared->mutex);
      shared->outcome.returned = true;
      shared->outcome.result = result;
      shared->outcome.duration_ns = took;
      shared->done = true;
      shared->done_cv.notify_all();
    }).detach();
    shared->done_cv.wait_for(lock, limit, [&] { return shared->done; });
  }
  std::lock_guard lock(shared->mutex);
  CallOutcome out = shared->outcome;
  if (!out.returned) {
    out.duration_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(limit).count());
  }
  return out;
}

void record_call(StepResult& step, const CallOutcome& call)
{
  step.attempted = true;
  step.duration_ns = call.duration_ns;
  step.hung = !call.returned;
  step.ok = call.returned && call.result == 0;
  if (step.hung) {
    step.error = "did not return";
  } else if (call.result < 0) {
    step.error_code = -call.result;
    step.error = std::strerror(-call.result);
  }
}

class Tracer
{
public:
  explicit Tracer(const Plan& plan) : m_plan(plan) {}

  void setup()
  {
    write_file(k_tracing + "/tracing_on", "0");
    write_file(k_tracing + "/current_tracer", "nop");
    write_file(k_tracing + "/buffer_size_kb", std::to_string(m_plan.trace_buffer_kb));
    // The default clock ("local") is per CPU and need not agree across CPUs; checks order a
    // thread's events against calls made on another CPU, and compare spans with what the
    // module measured with ktime_get_ns(), which is this clock.
    write_file(k_tracing + "/trace_clock", "mono");
    for (const auto& ev : m_plan.events) {
      auto colon = ev.find(':');
      std::string path = k_tracing + "/events/" + ev.substr(0, colon) + "/" + ev.substr(colon + 1) + "/enable";
      if (!write_file(path, "1")) {
        std::fprintf(stderr, "kmgrade-agent: cannot enable event %s\n", ev.c_str());
      }
    }
    if (!m_plan.functions.empty()) {
      write_file(k_tracing + "/set_ftrace_filter", "");
      bool any = false;
      for (const auto& fn : m_plan.functions) {
        any = write_file(k_tracing + "/set_ftrace_filter", fn + "\n", true) || any;
      }
      if (any) {
        write_file(k_tracing + "/current_tracer", "function");
      }
    }
  }

  void start()
  {
    write_file(k_tracing + "/trace", "");
    write_file(k_tracing + "/tracing_on", "1");
  }

  void stop() { write_file(k_tracing + "/tracing_on", "0"); }

  std::vector<TraceEvent> read_events()
  {
    std::vector<TraceEvent> events;
    std::ifstream in(k_tracing + "/trace");
    std::string line;
    while (std::getline(in, line)) {
      if (auto ev = parse_trace_line(line)) {
        events.push_back(std::move(*ev));
      }
    }
    return events;
  }

private:
  const Plan& m_plan;
};

struct ModuleRange
{
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

// Base and size of the module's core image, from /proc/modules ("name size refs deps state addr").
ModuleRange module_range(const std::string& name)
{
  std::ifstream in("/proc/modules");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string mod, size, refs, deps, state, addr;
    ss >> mod >> size >> refs >> deps >> state >> addr;
    if (mod == name) {
      return {std::strtoull(addr.c_str(), nullptr, 16), std::strtoull(size.c_str(), nullptr, 10)};
    }
  }
  return {};
}

bool refers_to_module(const TraceEvent& ev, const std::string& name, const ModuleRange& range)
{
  const std::string tag = "[" + name + "]";
  for (const auto& [key, value] : ev.fields) {
    if (value.find(tag) != std::string::npos) {
      return true;
    }
    if (range.size && value.rfind("0x", 0) == 0) {
      std::uint64_t addr = std::strtoull(value.c_str(), nullptr, 16);
      if (addr >= range.base && addr < range.base + range.size) {
        return true;
      }
    }
  }
  return false;
}

// A module that floods the log would fill the event stream with its lines and push its
// real work out of it: keep the first and the last of them, as the log does.
void cap_console_events(std::vector<TraceEvent>& events, std::size_t max_lines)
{
  const auto total = static_cast<std::size_t>(
    std::count_if(events.begin(), events.end(), [](const TraceEvent& ev) { return ev.name == "console"; }));
  const HeadAndTail cap{max_lines, max_lines / 2};
  std::size_t seen = 0;
  std::erase_if(events, [&](const TraceEvent& ev) { return ev.name == "console" && !cap.keeps(seen++, total); });
}

class Agent
{
public:
  Agent(kmod_ctx* ctx, const Plan& plan, KmsgFollower& kmsg) : m_ctx(ctx), m_plan(plan), m_tracer(plan), m_kmsg(kmsg)
  {
  }

  void setup_tracing() { m_tracer.setup(); }

  // A call that never returned holds libkmod's state: nothing more may be loaded here.
  bool wedged() const { return m_wedged; }

  ModuleRun run(const LoadRequest& req)
  {
    ModuleRun run;
    run.request = req;
    auto slab_before = slab_snapshot();
    std::set<int> pids_before;
    for (int pid : list_pids()) {
      pids_before.insert(pid);
    }
    m_kmsg.begin_load(m_plan.max_log_lines);

    kmod_module* mod = nullptr;
    int err = kmod_module_new_from_path(m_ctx, req.module_path.c_str(), &mod);
    if (err < 0) {
      run.insmod.attempted = true;
      run.insmod.error_code = -err;
      run.insmod.error = std::strerror(-err);
      run.log = m_kmsg.end_load(run.log_dropped);
      return run;
    }

    const std::chrono::milliseconds call_limit(req.call_timeout_ms);
    m_tracer.start();
    auto insmod = call_with_watchdog(
      k_insmod_thread,
      [mod, params = req.params] { return kmod_module_insert_module(mod, 0, params.empty() ? nullptr : params.c_str()); },
      call_limit);
    record_call(run.insmod, insmod);
    run.loader_pid = insmod.tid;

    std::map<int, TaskInfo> threads;
    ModuleRange range;
    std::vector<TraceEvent> events;
    if (run.insmod.hung) {
      m_wedged = true;
      watch_threads(pids_before, threads);
    } else if (run.insmod.ok) {
      range = module_range(req.module_name);
      run.core_base = range.base;
      run.core_size = range.size;
      settle(req, pids_before, threads, run);
      auto slab_loaded = slab_snapshot();
      for (const auto& [name, cache] : slab_loaded) {
        if (!slab_before.count(name)) {
          run.slab_created.push_back(cache);
        }
      }
      // Read what happened so far while the module is loaded, so call sites print as symbols;
      // after a stall, only once rmmod has stopped what stalls.
      if (!m_kmsg.stall_seen()) {
        m_tracer.stop();
        events = m_tracer.read_events();
        m_tracer.start();
      }

      auto rmmod = call_with_watchdog(
        k_rmmod_thread, [mod] { return kmod_module_remove_module(mod, 0); }, call_limit);
      record_call(run.rmmod, rmmod);
      run.unloader_pid = rmmod.tid;
      if (run.rmmod.hung) {
        m_wedged = true;
      } else {
        // Let the exit path's deferred work (thread exit, RCU-freed slabs) show.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto slab_after = slab_snapshot();
        for (const auto& cache : run.slab_created) {
          auto it = slab_after.find(cache.name);
          if (it != slab_after.end()) {
            run.slab_left.push_back(it->second);
          }
        }
      }
    }
    m_tracer.stop();
    if (!m_wedged) {
      auto after = m_tracer.read_events();
      events.insert(events.end(), std::make_move_iterator(after.begin()), std::make_move_iterator(after.end()));
      kmod_module_unref(mod);
    }

    collect_threads_from_trace(events, threads);
    for (auto& [pid, info] : threads) {
      if (!proc_status(pid)) {
        info.exited = true;
      }
      run.threads.push_back(info);
    }
    std::vector<TraceEvent> kept;
    for (auto& ev : events) {
      // A wake-up of a module thread is recorded in the waker's context: it marks when the
      // thread was started, which is when a binding made before then takes effect.
      const bool thread_woken = ev.name == "sched_waking" && threads.count(parse_number<int>(ev.field("pid")).value_or(0));
      if (threads.count(ev.pid) || thread_woken || ev.name == "console" || ev.name == "function" ||
          refers_to_module(ev, req.module_name, range)) {
        kept.push_back(std::move(ev));
      }
    }
    cap_console_events(kept, m_plan.max_log_lines);
    run.events = reduce_events(kept, m_plan.max_segments);
    run.log = m_kmsg.end_load(run.log_dropped);
    return run;
  }

private:
  // Records the kernel threads started since `pids_before`; true when one of them is running.
  static bool watch_threads(const std::set<int>& pids_before, std::map<int, TaskInfo>& threads)
  {
    bool busy = false;
    for (int pid : list_pids()) {
      if (pids_before.count(pid)) {
        continue;
      }
      auto st = proc_status(pid);
      if (!st || st->ppid != 2) {
        continue;
      }
      // A thread still named "kthreadd" is not named yet: kthread_create names a module's
      // thread before it returns, and a kworker is renamed a moment later.
      if (is_worker_name(st->name) || st->name == "kthreadd") {
        threads.erase(pid);
        continue;
      }
      auto& info = threads[pid];
      info.pid = pid;
      info.comm = st->name;
      info.cpus_allowed = st->cpus_allowed;
      busy = busy || st->state == 'R';
    }
    return busy;
  }

  // Waits until every kernel thread the module started is idle or gone, or the kernel
  // reports trouble (a thread that spins for ever would otherwise use up the whole timeout).
  void settle(const LoadRequest& req, const std::set<int>& pids_before, std::map<int, TaskInfo>& threads,
              ModuleRun& run)
  {
    const std::uint64_t start = now_ns();
    const std::uint64_t deadline = start + static_cast<std::uint64_t>(req.settle_timeout_ms) * 1'000'000ULL;
    int quiet_polls = 0;
    while (now_ns() < deadline && !m_kmsg.trouble_seen()) {
      const bool busy = watch_threads(pids_before, threads);
      quiet_polls = busy ? 0 : quiet_polls + 1;
      if (quiet_polls >= 3 && now_ns() - start > 150'000'000ULL) {
        run.settled = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    run.settle_ns = now_ns() - start;
  }

  // Threads forked by kthreadd during the load that started and exited between two polls.
  static void collect_threads_from_trace(const std::vector<TraceEvent>& events, std::map<int, TaskInfo>& threads)
  {
    std::map<int, std::string> renamed;
    for (const auto& ev : events) {
      // A thread's name is the module's choice and may read like more fields ("x pid=1e99"):
      // a pid that is not a plain int is not a pid.
      auto pid = parse_number<int>(ev.field("pid"));
      if (ev.name == "task_rename" && pid) {
        renamed[*pid] = ev.field("newcomm");
      }
    }
    for (const auto& ev : events) {
      // "comm=kthreadd pid=2 child_comm=kthreadd child_pid=N": kthreadd forks every kernel thread.
      if (ev.name != "sched_process_fork" || ev.field("pid") != "2") {
        continue;
      }
      auto parsed = parse_number<int>(ev.field("child_pid"));
      if (!parsed) {
        continue;
      }
      const int child = *parsed;
      std::string comm = renamed.count(child) ? renamed[child] : ev.field("child_comm");
      if (is_worker_name(comm) || comm == "kthreadd" || threads.count(child)) {
        continue;
      }
      threads[child] = TaskInfo{child, comm, "", false};
    }
  }

  kmod_ctx* m_ctx;
  const Plan& m_plan;
  Tracer m_tracer;
  KmsgFollower& m_kmsg;
  bool m_wedged = false;
};

int open_channel(const char* path)
{
  int fd = ::open(path, O_WRONLY | O_NOCTTY);
  if (fd < 0) {
    return fd;
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    ::cfsetospeed(&tio, B115200);
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

// The results channel. While loads run, a heartbeat goes out every two seconds, so the host
// can tell a guest that is busy from one that is wedged (every CPU spinning with interrupts
// off) long before a load's own time is up.
class Channel
{
public:
  Channel(int fd, std::string secret) : m_fd(fd), m_secret(std::move(secret)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() { stop_heartbeat(); }

  void send(const std::string& kind, const nlohmann::json& body)
  {
    std::string line = channel_prefix(m_secret) + kind + " " +
                       body.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(m_write_mutex);
    std::size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(m_fd, line.data() + off, line.size() - off);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return;
      }
      off += static_cast<std::size_t>(n);
    }
  }

  void start_heartbeat()
  {
    m_heartbeat = std::thread([this] {
      std::unique_lock lock(m_stop_mutex);
      while (!m_stop_cv.wait_for(lock, std::chrono::seconds(2), [this] { return m_stop; })) {
        send("alive", nlohmann::json::object());
      }
    });
  }

  void stop_heartbeat()
  {
    {
      std::lock_guard lock(m_stop_mutex);
      m_stop = true;
    }
    m_stop_cv.notify_all();
    if (m_heartbeat.joinable()) {
      m_heartbeat.join();
    }
  }

private:
  int m_fd;
  std::string m_secret;
  std::mutex m_write_mutex;
  std::mutex m_stop_mutex;
  std::condition_variable m_stop_cv;
  bool m_stop = false;
  std::thread m_heartbeat;
};

void mount_filesystems()
{
  ::mount("proc", "/proc", "proc", 0, nullptr);
  ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
  ::mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
  ::mount("tracefs", k_tracing.c_str(), "tracefs", 0, nullptr);
}

} // namespace

int main(int argc, char** argv)
{
  // As /init in the sandbox: mount, read /plan.json, answer on /dev/ttyS1, power off.
  // On a student's own machine: kmgrade-agent PLAN OUTPUT.
  const bool as_init = ::getpid() == 1;
  std::string plan_path = argc > 1 ? argv[1] : "/plan.json";
  std::string out_path = argc > 2 ? argv[2] : "/dev/ttyS1";
  if (as_init) {
    mount_filesystems();
  }
  int out = as_init ? open_channel(out_path.c_str()) : ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int status = 0;
  try {
    Plan plan = plan_from_json(nlohmann::json::parse(read_file(plan_path)));
    if (as_init) {
      // The secret lives on in this process only: a module cannot read it back from a file.
      ::unlink(plan_path.c_str());
      write_file("/proc/sys/kernel/hung_task_timeout_secs", std::to_string(plan.hung_task_timeout_s));
      // Each hang ends its boot: a couple of reports is all one can show.
      write_file("/proc/sys/kernel/hung_task_warnings", "2");
      write_file("/proc/sys/kernel/hung_task_check_interval_secs", "2");
    }
    KmsgFollower kmsg;
    kmsg.start();
    utsname uts{};
    ::uname(&uts);
    Channel channel(out, plan.secret);
    channel.send("hello",
                 {{"kernel", uts.release},
                  {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                  {"page_size", ::sysconf(_SC_PAGESIZE)},
                  {"clocksource", trim(read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource"))}});
    channel.start_heartbeat();
    kmod_ctx* ctx = kmod_new(nullptr, nullptr);
    Agent agent(ctx, plan, kmsg);
    agent.setup_tracing();
    for (std::size_t i = 0; i < plan.loads.size(); ++i) {
      ModuleRun run = agent.run(plan.loads[i]);
      channel.send("run", to_json(run));
      if (agent.wedged() || (plan.stop_when_dirty && i + 1 < plan.loads.size() && !dirty_reason(run).empty())) {
        break;
      }
    }
    if (!agent.wedged()) {
      kmod_unref(ctx);
    }
    channel.stop_heartbeat();
    channel.send("done", nlohmann::json::object());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmgrade-agent: %s\n", e.what());
    status = 1;
  }
  ::fsync(out);
  ::close(out);
  if (as_init) {
    ::sync();
    ::reboot(RB_POWER_OFF);
  }
  return status;
}
