#pragma once

#include "kernel_paths.h"

#include "observe/trace_line.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::agent {

// The pids of every task listed in /proc.
std::vector<int> list_pids(const KernelPaths& paths);

// What the agent needs of /proc/<pid>/status.
struct ProcStatus
{
  std::string name;
  char state = '?';
  int ppid = -1; // -1 when the line is missing or not a number
  std::string cpus_allowed;
};

// Parses the text of /proc/<pid>/status ("Key:\tvalue" lines); lines it does not know, or
// without a colon, are skipped.
ProcStatus parse_proc_status(std::string_view text);

// The status of `pid`, or nullopt when the task is gone.
std::optional<ProcStatus> proc_status(const KernelPaths& paths, int pid);

// The CPU time `pid` has had, in ns (/proc/<pid>/schedstat), or nullopt when it is gone.
std::optional<std::uint64_t> cpu_time_ns(const KernelPaths& paths, int pid);

// The CPU `pid` last ran on (/proc/<pid>/stat), or nullopt when it is gone.
std::optional<int> last_cpu(const KernelPaths& paths, int pid);

using observe::ModuleRange;

// The range of module `name` from /proc/modules ("name size refs deps state addr"), or an
// empty range when it is not listed.
ModuleRange module_range(const KernelPaths& paths, const std::string& name);

} // namespace kmgrade::agent
