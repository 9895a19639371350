#pragma once

#include "kernel_paths.h"

#include "observe/observation.h"
#include "observe/trace_line.h"

#include <vector>

namespace kmgrade::agent {

// Drives tracefs: the plan's events and function filter, and the trace buffer.
class Tracer
{
public:
  Tracer(const observe::Plan& plan, KernelPaths paths = {});

  // Enables the plan's events and functions, with tracing off and the buffer empty. Says
  // what this kernel would not enable.
  std::vector<std::string> setup();
  // Puts back what setup() changed, as setup() found it: on a student's own machine the
  // tracing state is theirs. The buffer stays empty.
  void restore();
  void start();
  void stop();
  // The events recorded since the last read, which leave the buffer.
  std::vector<observe::TraceEvent> read_events();

private:
  const observe::Plan& m_plan;
  std::filesystem::path m_tracing;
  // Control file (relative to tracefs) -> its value before setup(), as it is written back.
  std::vector<std::pair<std::string, std::string>> m_before;
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
