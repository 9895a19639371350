#pragma once

#include "kernel_paths.h"

#include "observe/observation.h"
#include "observe/trace_line.h"

#include <map>
#include <vector>

namespace kmgrade::agent {

// Drives tracefs: the plan's events, function filter and module calls, and the trace buffer.
//
// The module's calls of the plan's module_calls are seen through a kprobe event on each
// function, whose `parent` argument is the return address, and whose filter, in the kernel,
// drops every call made from the kernel's own text. Measured in the sandbox (Debian's 6.1
// under TCG): the lock functions are hit about 500 times a second in the idle guest and
// 200000 to 500000 times a second while the agent loads a module, nearly all by the agent's
// own reads of /proc and of the trace. The function tracer would have recorded each of them:
// its 16 MiB buffer per CPU overran within 3 s, and reading 100 MB of such hits took 30 s. A
// pid filter would not help: the agent makes them itself. With the kernel dropping the
// kernel's calls, a load leaves a dozen events and nothing overruns.
class Tracer
{
public:
  Tracer(const observe::Plan& plan, KernelPaths paths = {});

  // Enables the plan's events, functions and module calls, with tracing off and the buffer
  // empty. Says what this kernel would not enable, one line per event and per function.
  std::vector<std::string> setup();
  // The plan's functions and module calls that setup() could not trace, and why.
  const std::vector<observe::UntraceableFunction>& untraceable() const { return m_untraceable; }
  // Puts back what setup() changed, as setup() found it: on a student's own machine the
  // tracing state is theirs. The buffer stays empty.
  void restore();
  void start();
  void stop();
  // The events recorded since the last read, which leave the buffer; a module call is an
  // event "module_call" with fields func and parent.
  std::vector<observe::TraceEvent> read_events();

private:
  void trace_functions(std::vector<std::string>& problems);
  void probe_module_calls(std::vector<std::string>& problems);
  void remove_probes();

  const observe::Plan& m_plan;
  KernelPaths m_paths;
  std::filesystem::path m_tracing;
  // Control file (relative to tracefs) -> its value before setup(), as it is written back.
  std::vector<std::pair<std::string, std::string>> m_before;
  std::vector<observe::UntraceableFunction> m_untraceable;
  // The kprobe events made for module calls: event name -> the function it probes.
  std::map<std::string, std::string> m_probes;
};

// A tracing instance of its own that sees kernel threads start, get their names and exit.
// Its buffer holds little else, so settling can read it every few milliseconds and learn of
// a thread that started and exited between two looks at /proc; the plan's trace may hold
// hundreds of thousands of events by then.
class ThreadLifeTracer
{
public:
  explicit ThreadLifeTracer(KernelPaths paths = {});

  // Makes the instance, tracing; a kernel without instances leaves events() empty.
  void setup();
  // Removes the instance.
  void remove();
  // Forgets what happened so far: events() gives what happens from now on.
  void restart();
  // Every event since the last restart.
  const std::vector<observe::TraceEvent>& events();

private:
  std::filesystem::path m_dir;
  std::vector<observe::TraceEvent> m_seen;
};

// A tracing instance of its own that counts the allocations and frees a module's code makes,
// by their call sites, without reading them: settling asks it whether a thread that stays
// runnable still works. Armed only for such a thread, as arming waits for an RCU grace period.
class ModuleActivityTracer
{
public:
  // Counts `events` ("kmem:kmalloc"), which must have a call_site field.
  explicit ModuleActivityTracer(std::vector<std::string> events, KernelPaths paths = {});

  // Makes the instance, its events off; a kernel without instances counts nothing.
  void setup();
  // Removes the instance.
  void remove();
  // Events of the module at `range` since the first call after the last disarm(), which
  // starts counting them.
  std::uint64_t count(const observe::ModuleRange& range);
  // Stops counting.
  void disarm();

private:
  std::vector<std::string> m_events;
  std::filesystem::path m_dir;
  bool m_armed = false;
};

} // namespace kmgrade::agent
