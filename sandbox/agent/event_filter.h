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

// Drops the "module_call" events whose caller is not the module's code. The kernel passes only
// calls made from outside its own text; of those, the module's name its function or lie in
// its code (`range`), and those the task that ran insmod (`loader_pid`) made from code with
// no name left are its init function's, which is freed once it returned.
void keep_calls_from_module(std::vector<observe::TraceEvent>& events, const std::string& module_name,
                            const ModuleRange& range, int loader_pid);

// The events of a load that concern the module: its threads' own, wake-ups of its threads,
// console lines, function-tracer hits, module calls, events that refer to its code, and frees of what its
// threads allocated (`allocations` made by a thread), by whichever task (the exit function's,
// run by rmmod). In trace order.
std::vector<observe::TraceEvent> module_events(std::vector<observe::TraceEvent> events,
                                               const std::map<int, observe::TaskInfo>& threads,
                                               const std::string& module_name, const ModuleRange& range,
                                               const std::vector<observe::AllocationEvents>& allocations);

} // namespace kmgrade::agent
