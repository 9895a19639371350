#include "tracer.h"

#include <cstdio>
#include <fstream>
#include <string>

namespace kmgrade::agent {

Tracer::Tracer(const observe::Plan& plan, KernelPaths paths) : m_plan(plan), m_tracing(paths.tracing()) {}

void Tracer::setup()
{
  write_kernel_file(m_tracing / "tracing_on", "0");
  write_kernel_file(m_tracing / "current_tracer", "nop");
  write_kernel_file(m_tracing / "buffer_size_kb", std::to_string(m_plan.trace_buffer_kb));
  // The default clock ("local") is per CPU and need not agree across CPUs; checks order a
  // thread's events against calls made on another CPU, and compare spans with what the
  // module measured with ktime_get_ns(), which is this clock.
  write_kernel_file(m_tracing / "trace_clock", "mono");
  for (const auto& ev : m_plan.events) {
    auto colon = ev.find(':');
    const std::string path = m_tracing.string() + "/events/" + ev.substr(0, colon) + "/" + ev.substr(colon + 1) + "/enable";
    if (!write_kernel_file(path, "1")) {
      std::fprintf(stderr, "kmgrade-agent: cannot enable event %s\n", ev.c_str());
    }
  }
  if (!m_plan.functions.empty()) {
    write_kernel_file(m_tracing / "set_ftrace_filter", "");
    bool any = false;
    for (const auto& fn : m_plan.functions) {
      any = write_kernel_file(m_tracing / "set_ftrace_filter", fn + "\n", true) || any;
    }
    if (any) {
      write_kernel_file(m_tracing / "current_tracer", "function");
    }
  }
}

void Tracer::start()
{
  write_kernel_file(m_tracing / "trace", "");
  write_kernel_file(m_tracing / "tracing_on", "1");
}

void Tracer::stop()
{
  write_kernel_file(m_tracing / "tracing_on", "0");
}

std::vector<observe::TraceEvent> Tracer::read_events()
{
  std::vector<observe::TraceEvent> events;
  std::ifstream in(m_tracing / "trace");
  std::string line;
  while (std::getline(in, line)) {
    if (auto ev = observe::parse_trace_line(line)) {
      events.push_back(std::move(*ev));
    }
  }
  return events;
}

} // namespace kmgrade::agent
