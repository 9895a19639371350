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

  // Enables the plan's events and functions, with tracing off and the buffer empty.
  void setup();
  void start();
  void stop();
  // The events recorded since the last read, which leave the buffer.
  std::vector<observe::TraceEvent> read_events();

private:
  const observe::Plan& m_plan;
  std::filesystem::path m_tracing;
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
  // Forgets what happened so far: events() gives what happens from now on.
  void restart();
  // Every event since the last restart.
  const std::vector<observe::TraceEvent>& events();

private:
  std::filesystem::path m_dir;
  std::vector<observe::TraceEvent> m_seen;
};

} // namespace kmgrade::agent
