#include "event_filter.h"

#include "observe/head_and_tail.h"
#include "observe/numbers.h"

#include <algorithm>
#include <set>

namespace kmgrade::agent {

using observe::refers_to_module;
using observe::TraceEvent;

void cap_console_events(std::vector<TraceEvent>& events, std::size_t max_lines)
{
  const auto total = static_cast<std::size_t>(
    std::count_if(events.begin(), events.end(), [](const TraceEvent& ev) { return ev.name == "console"; }));
  const observe::HeadAndTail cap{max_lines, max_lines / 2};
  std::size_t seen = 0;
  std::erase_if(events, [&](const TraceEvent& ev) { return ev.name == "console" && !cap.keeps(seen++, total); });
}

void keep_calls_from_module(std::vector<TraceEvent>& events, const std::string& module_name, const ModuleRange& range,
                            int loader_pid)
{
  std::erase_if(events, [&](const TraceEvent& ev) {
    const bool unnamed = ev.field("parent").rfind("0x", 0) == 0;
    return ev.name == "module_call" && !refers_to_module(ev, module_name, range) &&
           !(ev.pid == loader_pid && loader_pid != 0 && unnamed);
  });
}

std::vector<TraceEvent> module_events(std::vector<TraceEvent> events, const std::map<int, observe::TaskInfo>& threads,
                                      const std::string& module_name, const ModuleRange& range,
                                      const std::vector<observe::AllocationEvents>& allocations)
{
  std::vector<TraceEvent> kept;
  // What the module holds, by allocation kind: its threads' allocations and those from its
  // code. Whoever frees it, the free is kept: a page free names no call site, and the call
  // site of an exit function's free, run by rmmod, no longer reads as the module's once it
  // is unloaded.
  std::vector<std::set<std::string>> held(allocations.size());
  const auto frees_held = [&](const TraceEvent& ev) {
    for (std::size_t k = 0; k < allocations.size(); ++k) {
      if (ev.name == allocations[k].free && held[k].erase(ev.field(allocations[k].key)) > 0) {
        return true;
      }
    }
    return false;
  };
  for (auto& ev : events) {
    // A wake-up of a module thread is recorded in the waker's context: it marks when the
    // thread was started, which is when a binding made before then takes effect.
    const bool thread_woken =
      ev.name == "sched_waking" && threads.count(observe::parse_number<int>(ev.field("pid")).value_or(0));
    if (threads.count(ev.pid) || thread_woken || frees_held(ev) || ev.name == "console" || ev.name == "function" ||
        ev.name == "module_call" || refers_to_module(ev, module_name, range)) {
      for (std::size_t k = 0; k < allocations.size(); ++k) {
        if (ev.name == allocations[k].alloc && !ev.field(allocations[k].key).empty() &&
            (allocations[k].by_thread ? threads.count(ev.pid) > 0 : refers_to_module(ev, module_name, range))) {
          held[k].insert(ev.field(allocations[k].key));
        }
      }
      kept.push_back(std::move(ev));
    }
  }
  return kept;
}

} // namespace kmgrade::agent
