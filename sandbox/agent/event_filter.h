#pragma once

#include "procfs.h"

#include "observe/observation.h"
#include "observe/trace_line.h"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace kmgrade::agent {

// A module that floods the log would fill the event stream with its lines and push its
// real work out of it: keep the first and the last of them, as the log does.
void cap_console_events(std::vector<observe::TraceEvent>& events, std::size_t max_lines);

// The events of a load that concern the module: its threads' own, wake-ups of its threads,
// console lines, function-tracer hits, events that refer to its code, and frees of what its
// threads allocated (`allocations` made by a thread), by whichever task (the exit function's,
// run by rmmod). In trace order.
std::vector<observe::TraceEvent> module_events(std::vector<observe::TraceEvent> events,
                                               const std::map<int, observe::TaskInfo>& threads,
                                               const std::string& module_name, const ModuleRange& range,
                                               const std::vector<observe::AllocationEvents>& allocations);

} // namespace kmgrade::agent
