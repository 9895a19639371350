#include "tracer.h"

#include <fcntl.h>
#include <unistd.h>

#include "procfs.h"

#include "observe/numbers.h"
#include "util/files.h"
#include "util/text.h"

#include <cerrno>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>

namespace kmgrade::agent {

namespace {

// What a control file holds, in the form it is written back: "[mono] local global" selects
// "mono"; "7 (expanded: 1408)" is a buffer size of 7 KiB. Empty when the file cannot be read.
std::string control_value(const std::filesystem::path& file)
{
  const std::string text = util::read_file(file);
  const auto open = text.find('[');
  const auto close = text.find(']', open);
  if (open != std::string::npos && close != std::string::npos) {
    return text.substr(open + 1, close - open - 1);
  }
  std::string first;
  std::istringstream(text) >> first;
  return first;
}

// "kmem:kmalloc" as the subsystem's folder and the event's.
std::pair<std::string, std::string> event_path(const std::string& event)
{
  const auto colon = event.find(':');
  return {event.substr(0, colon), colon == std::string::npos ? "" : event.substr(colon + 1)};
}

// The file that turns `event` ("kmem:kmalloc") on and off, under a tracing folder.
std::string enable_file(const std::string& event)
{
  const auto [subsystem, name] = event_path(event);
  return "events/" + subsystem + "/" + name + "/enable";
}

// The functions set_ftrace_filter holds, one per line: empty when it filters nothing ("####
// all functions enabled ####").
std::string filtered_functions(const std::filesystem::path& file)
{
  std::string kept;
  std::istringstream in(util::read_file(file));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      kept += line + "\n";
    }
  }
  return kept;
}

// The kprobe events' group: its folder under events/ enables and filters them all at once.
constexpr const char* k_probe_group = "kmgrade";

// Where a kprobe event at a function's first instruction finds the address its caller
// returns to, which names the caller.
#if defined(__x86_64__)
// On top of the stack, where the call pushed it.
constexpr std::string_view k_return_address = "$stack0";
#else
constexpr std::string_view k_return_address = "";
#endif

std::string hex(std::uint64_t value)
{
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

} // namespace

Tracer::Tracer(const observe::Plan& plan, KernelPaths paths) : m_plan(plan), m_paths(paths), m_tracing(paths.tracing())
{}

std::vector<std::string> Tracer::setup()
{
  m_before.clear();
  m_untraceable.clear();
  for (const char* file : {"tracing_on", "current_tracer", "buffer_size_kb", "trace_clock"}) {
    m_before.emplace_back(file, control_value(m_tracing / file));
  }
  for (const auto& ev : m_plan.events) {
    m_before.emplace_back(enable_file(ev), control_value(m_tracing / enable_file(ev)));
  }
  m_before.emplace_back("set_ftrace_filter", filtered_functions(m_tracing / "set_ftrace_filter"));
  std::vector<std::string> problems;
  write_kernel_file(m_tracing / "tracing_on", "0");
  write_kernel_file(m_tracing / "current_tracer", "nop");
  write_kernel_file(m_tracing / "buffer_size_kb", std::to_string(m_plan.trace_buffer_kb));
  // The default clock ("local") is per CPU and need not agree across CPUs; checks order a
  // thread's events against calls made on another CPU, and compare spans with what the
  // module measured with ktime_get_ns(), which is this clock.
  write_kernel_file(m_tracing / "trace_clock", "mono");
  write_kernel_file(m_tracing / "trace", "");
  for (const auto& ev : m_plan.events) {
    if (!write_kernel_file(m_tracing / enable_file(ev), "1")) {
      problems.push_back("cannot enable the trace event " + ev);
    }
  }
  trace_functions(problems);
  probe_module_calls(problems);
  return problems;
}

void Tracer::trace_functions(std::vector<std::string>& problems)
{
  if (m_plan.functions.empty()) {
    return;
  }
  const auto untraceable = [&](const std::string& fn, const std::string& why) {
    m_untraceable.push_back({fn, why});
    problems.push_back("cannot trace the function " + fn + ": " + why);
  };
  write_kernel_file(m_tracing / "set_ftrace_filter", "");
  std::vector<std::string> filtered;
  for (const auto& fn : m_plan.functions) {
    if (write_kernel_file(m_tracing / "set_ftrace_filter", fn + "\n", true)) {
      filtered.push_back(fn);
    } else {
      untraceable(fn, "not in available_filter_functions (a notrace or inlined function, or none of that name)");
    }
  }
  // With nothing in the filter the function tracer would trace every function.
  if (!filtered.empty() && !write_kernel_file(m_tracing / "current_tracer", "function")) {
    for (const auto& fn : filtered) {
      untraceable(fn, "this kernel has no function tracer");
    }
  }
}

void Tracer::probe_module_calls(std::vector<std::string>& problems)
{
  if (m_plan.module_calls.empty()) {
    return;
  }
  const auto untraceable = [&](const std::string& fn, const std::string& why) {
    m_untraceable.push_back({fn, why});
    problems.push_back("cannot trace the module's calls of " + fn + ": " + why);
  };
  const auto probes = m_tracing / "kprobe_events";
  const auto group = m_tracing / "events" / k_probe_group;
  const KernelSymbols kernel = kernel_symbols(m_paths, m_plan.module_calls);
  std::string why_none;
  if (k_return_address.empty()) {
    why_none = "kmgrade finds a call's caller on x86-64 only";
  } else if (!std::filesystem::exists(probes)) {
    why_none = "this kernel has no kprobe events (CONFIG_KPROBE_EVENTS)";
  } else if (kernel.text.size == 0) {
    why_none = "/proc/kallsyms hides the kernel's addresses (kptr_restrict), so the kernel's own calls cannot be "
               "told from the module's";
  }
  // Probes an agent that was stopped left behind on this kernel would refuse new ones of
  // their names.
  write_kernel_file(group / "enable", "0");
  for (std::size_t i = 0; i < m_plan.module_calls.size(); ++i) {
    const auto& fn = m_plan.module_calls[i];
    if (!why_none.empty()) {
      untraceable(fn, why_none);
      continue;
    }
    const std::string event = "kmgrade_call_" + std::to_string(i);
    write_kernel_file(probes, std::string("-:") + k_probe_group + "/" + event + "\n", true);
    // Appended: opened to be overwritten, kprobe_events drops every probe, others' too.
    if (write_kernel_file(probes,
                          std::string("p:") + k_probe_group + "/" + event + " " + fn +
                            " parent=" + std::string(k_return_address) + ":symbol\n",
                          true)) {
      m_probes[event] = fn;
    } else {
      untraceable(fn, kernel.functions.count(fn)
                        ? "the kernel will not probe it: a notrace function (not in available_filter_functions)"
                        : "the kernel has no function of that name (inlined, or absent)");
    }
  }
  if (m_probes.empty()) {
    return;
  }
  const std::string filter =
    "parent < " + hex(kernel.text.base) + " || parent >= " + hex(kernel.text.base + kernel.text.size);
  if (!write_kernel_file(group / "filter", filter) || !write_kernel_file(group / "enable", "1")) {
    for (const auto& [event, fn] : m_probes) {
      untraceable(fn, "the kernel would not filter its calls by caller");
    }
    remove_probes();
  }
}

void Tracer::remove_probes()
{
  write_kernel_file(m_tracing / "events" / k_probe_group / "enable", "0");
  for (const auto& [event, fn] : m_probes) {
    write_kernel_file(m_tracing / "kprobe_events", std::string("-:") + k_probe_group + "/" + event + "\n", true);
  }
  m_probes.clear();
}

void Tracer::restore()
{
  remove_probes();
  write_kernel_file(m_tracing / "tracing_on", "0");
  // The tracer first: a filter is cleared while no function tracer uses it.
  write_kernel_file(m_tracing / "current_tracer", "nop");
  write_kernel_file(m_tracing / "trace", "");
  for (auto it = m_before.rbegin(); it != m_before.rend(); ++it) {
    const auto& [file, value] = *it;
    if (!value.empty() || file == "set_ftrace_filter") {
      write_kernel_file(m_tracing / file, value);
    }
  }
  m_before.clear();
}

void Tracer::start()
{
  write_kernel_file(m_tracing / "tracing_on", "1");
}

void Tracer::stop()
{
  write_kernel_file(m_tracing / "tracing_on", "0");
}

namespace {

std::vector<observe::TraceEvent> read_pipe(const std::filesystem::path& pipe)
{
  // trace_pipe hands each event out once, so the buffer is empty for what comes next without
  // being cleared; opening `trace` or clearing it waits for an RCU grace period, which costs
  // tens of milliseconds under emulation, several times a load.
  std::vector<observe::TraceEvent> events;
  const int fd = ::open(pipe.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return events;
  }
  std::string pending;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break; // empty: EAGAIN from the kernel, the end of a file on a fake root
    }
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (auto ev = observe::parse_trace_line(std::string_view(pending).substr(start, nl - start))) {
        events.push_back(std::move(*ev));
      }
    }
    pending.erase(0, start);
  }
  if (auto ev = observe::parse_trace_line(pending)) {
    events.push_back(std::move(*ev));
  }
  ::close(fd);
  return events;
}

// Makes the tracing instance `dir` with a buffer of `buffer_kb` per CPU: in tracefs, making
// the folder makes the instance and its control files.
void make_instance(const std::filesystem::path& dir, const char* buffer_kb)
{
  std::error_code ec;
  std::filesystem::create_directory(dir, ec);
  write_kernel_file(dir / "buffer_size_kb", buffer_kb);
}

// Removes the tracing instance `dir`: in tracefs, removing the folder removes the instance
// with its control files.
void remove_instance(const std::filesystem::path& dir)
{
  write_kernel_file(dir / "tracing_on", "0");
  std::error_code ec;
  std::filesystem::remove(dir, ec);
}

} // namespace

std::vector<observe::TraceEvent> Tracer::read_events()
{
  auto events = read_pipe(m_tracing / "trace_pipe");
  for (auto& ev : events) {
    // "kmgrade_call_3: (mutex_lock+0x0/0x30) parent=msg_write+0x63/0xc0 [kmlab_hello]"
    if (const auto probe = m_probes.find(ev.name); probe != m_probes.end()) {
      ev.name = "module_call";
      ev.fields["func"] = probe->second;
      ev.text = probe->second + " <-" + ev.field("parent");
    }
  }
  return events;
}

ThreadLifeTracer::ThreadLifeTracer(KernelPaths paths) : m_dir(paths.tracing() / "instances/kmgrade-threads") {}

void ThreadLifeTracer::setup()
{
  make_instance(m_dir, "64");
  // Only kthreadd forks kernel threads; the agent's own threads need not fill the buffer.
  write_kernel_file(m_dir / "events/sched/sched_process_fork/filter", "parent_pid == 2");
  for (const char* ev : {"sched/sched_process_fork", "sched/sched_process_exit", "task/task_rename"}) {
    write_kernel_file(m_dir / "events" / ev / "enable", "1");
  }
  write_kernel_file(m_dir / "tracing_on", "1");
}

void ThreadLifeTracer::remove()
{
  remove_instance(m_dir);
  m_seen.clear();
}

void ThreadLifeTracer::restart()
{
  read_pipe(m_dir / "trace_pipe");
  m_seen.clear();
}

const std::vector<observe::TraceEvent>& ThreadLifeTracer::events()
{
  auto fresh = read_pipe(m_dir / "trace_pipe");
  m_seen.insert(m_seen.end(), std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()));
  return m_seen;
}

ModuleActivityTracer::ModuleActivityTracer(std::vector<std::string> events, KernelPaths paths)
    : m_events(std::move(events)), m_dir(paths.tracing() / "instances/kmgrade-activity")
{}

void ModuleActivityTracer::setup()
{
  make_instance(m_dir, "4");
  write_kernel_file(m_dir / "tracing_on", "1");
}

void ModuleActivityTracer::remove()
{
  disarm();
  remove_instance(m_dir);
}

std::uint64_t ModuleActivityTracer::count(const observe::ModuleRange& range)
{
  if (!m_armed) {
    m_armed = true;
    // One write filters every event of a subsystem, with one grace period.
    std::set<std::string> filtered;
    for (const auto& event : m_events) {
      const auto subsystem = event_path(event).first;
      if (filtered.insert(subsystem).second) {
        write_kernel_file(m_dir / "events" / subsystem / "filter", "call_site >= " + std::to_string(range.base) +
                                                                     " && call_site < " +
                                                                     std::to_string(range.base + range.size));
      }
      write_kernel_file(m_dir / enable_file(event), "1");
    }
  }
  // Every event written to the buffer, those in it and those it overwrote: it is never read.
  std::uint64_t written = 0;
  std::error_code ec;
  for (const auto& cpu : std::filesystem::directory_iterator(m_dir / "per_cpu", ec)) {
    std::istringstream stats(util::read_file(cpu.path() / "stats"));
    for (std::string line; std::getline(stats, line);) {
      for (std::string_view key : {"entries: ", "overrun: "}) {
        if (line.rfind(key, 0) == 0) {
          written += observe::parse_number<std::uint64_t>(std::string_view(line).substr(key.size())).value_or(0);
        }
      }
    }
  }
  return written;
}

void ModuleActivityTracer::disarm()
{
  if (!m_armed) {
    return;
  }
  m_armed = false;
  for (const auto& event : m_events) {
    write_kernel_file(m_dir / enable_file(event), "0");
  }
}

} // namespace kmgrade::agent
