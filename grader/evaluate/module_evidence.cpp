#include "evaluate/module_evidence.h"

#include "evaluate/verdict.h"

#include "observe/numbers.h"

#include <sstream>

namespace kmgrade::evaluate {

using observe::StreamEvent;
using observe::TraceEvent;

const char* to_string(Status status)
{
  switch (status) {
    case Status::pass:
      return "pass";
    case Status::fail:
      return "fail";
    case Status::error:
      return "error";
    case Status::not_run:
      return "not_run";
    case Status::manual:
      return "manual";
  }
  return "error";
}

const observe::ModuleRun* ModuleEvidence::named_run(const std::string& name) const
{
  for (const auto& r : runs) {
    if (!name.empty() && r.request.name == name) {
      return &r;
    }
  }
  return nullptr;
}

long long LabFacts::number(const std::string& name) const
{
  const auto found = numbers.find(name);
  return found == numbers.end() ? 0 : found->second;
}

RunView::RunView(const observe::ModuleRun& run, const LabFacts& facts) : m_run(run)
{
  for (const auto& p : facts.params) {
    m_values[p.name] = p.default_value;
  }
  std::istringstream params(run.request.params);
  for (std::string param; params >> param;) {
    const auto eq = param.find('=');
    m_given.emplace_back(param.substr(0, eq), eq == std::string::npos ? "" : param.substr(eq + 1));
    m_values[m_given.back().first] = m_given.back().second;
  }
  for (const auto& t : run.threads) {
    m_threads.insert(t.pid);
  }
  // Expanded blocks keep the first occurrence's values; timestamps are spread evenly
  // between the block's first and last, which are exact.
  for (const auto& seg : run.events.segments) {
    std::size_t n = seg.repeat * seg.block.size();
    for (std::size_t k = 0; k < n; ++k) {
      StreamEvent se = seg.block[k % seg.block.size()];
      se.event.ts_ns = n > 1 ? seg.first_ts_ns + (seg.last_ts_ns - seg.first_ts_ns) * k / (n - 1) : seg.first_ts_ns;
      m_events.push_back(std::move(se));
    }
  }
}

unsigned long long RunView::number(const std::string& name) const
{
  const auto found = m_values.find(name);
  return found == m_values.end() ? 0 : observe::parse_number<unsigned long long>(found->second).value_or(0);
}

std::string RunView::label() const
{
  const auto& params = m_run.request.params;
  if (!m_run.request.name.empty()) {
    return "load " + m_run.request.name + (params.empty() ? "" : " (" + params + ")");
  }
  return params.empty() ? "no parameter" : params;
}

const StreamEvent* RunView::referenced(std::size_t i, const std::string& field) const
{
  auto it = m_events[i].refs.find(field);
  if (it == m_events[i].refs.end() || it->second > i) {
    return nullptr;
  }
  return &m_events[i - it->second];
}

bool RunView::from_module(const TraceEvent& ev) const
{
  return observe::refers_to_module(ev, m_run.request.module_name, {m_run.core_base, m_run.core_size});
}

std::vector<const TraceEvent*> RunView::thread_messages() const
{
  std::vector<const TraceEvent*> out;
  for (const auto& se : m_events) {
    if (se.event.name == "console" && is_module_thread(se.event.pid)) {
      out.push_back(&se.event);
    }
  }
  return out;
}

std::vector<const TraceEvent*> RunView::init_messages() const
{
  std::vector<const TraceEvent*> out;
  for (const auto& se : m_events) {
    if (se.event.name == "console" && se.event.pid == m_run.loader_pid) {
      out.push_back(&se.event);
    }
  }
  return out;
}

std::vector<RunView::Trouble> RunView::troubles() const
{
  return observe::trouble_reports(m_run);
}

std::vector<std::string> RunView::trouble_lines() const
{
  std::vector<std::string> out;
  for (const auto& t : troubles()) {
    if (t.from_module) {
      out.push_back(t.lines.front());
    }
  }
  return out;
}

std::string message_text(const TraceEvent& ev)
{
  return console_text(ev.text);
}

} // namespace kmgrade::evaluate
