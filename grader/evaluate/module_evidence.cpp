#include "evaluate/module_evidence.h"

#include "evaluate/verdict.h"

#include <regex>

namespace kmgrade::evaluate {

using observe::StreamEvent;
using observe::TraceEvent;

const char* to_string(Status status)
{
  switch (status) {
  case Status::pass: return "pass";
  case Status::fail: return "fail";
  case Status::error: return "error";
  case Status::not_run: return "not_run";
  case Status::manual: return "manual";
  }
  return "error";
}

RunView::RunView(const observe::ModuleRun& run, unsigned default_objnum) : m_run(run), m_objnum(default_objnum)
{
  static const std::regex k_objnum(R"((?:^|\s)objnum=(\d+))");
  std::smatch m;
  if (std::regex_search(run.request.params, m, k_objnum)) {
    m_objnum = static_cast<unsigned>(std::stoul(m[1]));
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

std::string RunView::label() const
{
  return m_run.request.params.empty() ? "no parameter" : m_run.request.params;
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
  const std::string tag = "[" + m_run.request.module_name + "]";
  for (const auto& [key, value] : ev.fields) {
    if (value.find(tag) != std::string::npos) {
      return true;
    }
    if (m_run.core_size && value.rfind("0x", 0) == 0) {
      std::uint64_t addr = std::strtoull(value.c_str(), nullptr, 16);
      if (addr >= m_run.core_base && addr < m_run.core_base + m_run.core_size) {
        return true;
      }
    }
  }
  return false;
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
  // A report runs from its first line to the next report: the task ("PID: 99", "Comm:
  // lab5", "[lab5:99]") and the call trace ("fn+0x1/0x2 [lab5_page_alloc]") are in it.
  // The agent's threads that ran insmod and rmmod count too: a hang or lockup in init or
  // exit names them.
  std::vector<std::string> marks = {"[" + m_run.request.module_name + "]"};
  for (const auto& task : observe::load_tasks(m_run)) {
    marks.push_back("PID: " + std::to_string(task.pid) + " ");
    if (task.module_thread) {
      marks.push_back("Comm: " + task.comm);
    }
    for (auto& mark : observe::task_marks(task)) {
      marks.push_back(std::move(mark));
    }
  }
  std::vector<Trouble> out;
  for (const auto& rec : m_run.log) {
    auto kind = observe::classify_log_line(rec.text);
    // "BUG: ...", "#PF: ...", "Oops: ..." open one report: a trouble line right at the start
    // of an open report continues it.
    const bool continues = !out.empty() && out.back().lines.size() < 5 && !out.back().ended;
    if (rec.text.find("---[ end trace") != std::string::npos && !out.empty()) {
      out.back().ended = true;
    }
    if (kind != observe::KernelTrouble::none && !continues) {
      // A slab cache with objects left is reported by name: always the module's own cache.
      out.push_back({kind, {rec.text}, kind == observe::KernelTrouble::slab_leak});
    } else if (out.empty()) {
      continue;
    } else {
      out.back().lines.push_back(rec.text);
      out.back().from_module = out.back().from_module || kind == observe::KernelTrouble::slab_leak;
    }
    for (const auto& mark : marks) {
      if (rec.text.find(mark) != std::string::npos) {
        out.back().from_module = true;
      }
    }
  }
  return out;
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
  static const std::regex k_stamp(R"(^\[\s*\d+\.\d+\]\s*)");
  std::string text = std::regex_replace(ev.text, k_stamp, "");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

bool mentions_number(const std::string& text, unsigned long long number)
{
  const std::regex k_number("(^|[^0-9.])" + std::to_string(number) + "($|[^0-9])");
  return std::regex_search(text, k_number);
}

std::optional<std::uint64_t> parse_reported_ns(const std::string& text, bool bare_is_ns)
{
  static const std::regex k_with_unit(
    R"((\d+(?:\.\d+)?)\s*(nanoseconds?|nsecs?|ns|microseconds?|usecs?|us|µs|milliseconds?|msecs?|ms|seconds?|secs?|s)\b)",
    std::regex::icase);
  static const std::regex k_bare(R"((\d+)(?!.*\d))");
  static const std::regex k_about_time(R"(\b(time|took|takes|elapsed|spent|duration|latency)\b)", std::regex::icase);
  std::smatch m;
  std::optional<std::uint64_t> found;
  for (auto it = text.cbegin(); std::regex_search(it, text.cend(), m, k_with_unit); it = m.suffix().first) {
    double value = std::stod(m[1]);
    std::string unit = m[2];
    for (auto& c : unit) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    double scale = 1;
    if (unit[0] == 'n') {
      scale = 1;
    } else if (unit[0] == 'u' || unit.rfind("µ", 0) == 0 || unit.rfind("micro", 0) == 0) {
      scale = 1e3;
    } else if (unit[0] == 'm') {
      scale = 1e6;
    } else {
      scale = 1e9;
    }
    found = static_cast<std::uint64_t>(value * scale + 0.5);
  }
  if (!found && bare_is_ns && std::regex_search(text, k_about_time) && std::regex_search(text, m, k_bare)) {
    found = std::stoull(m[1]);
  }
  return found;
}

unsigned expected_order(unsigned objnum, long page_size, unsigned struct_size)
{
  const unsigned long per_page = static_cast<unsigned long>(page_size) / struct_size;
  const unsigned long pages = (objnum + per_page - 1) / per_page;
  unsigned order = 0;
  while ((1UL << order) < pages) {
    ++order;
  }
  return order;
}

} // namespace kmgrade::evaluate
