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

} // namespace kmgrade::agent
