#pragma once

#include "kernel_paths.h"

#include "observe/trace_line.h"

#include <cstdint>
#include <optional>
#include <set>
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

// What /proc/kallsyms says of the kernel's own code (modules' symbols aside): where its text
// lies (an empty range when the addresses are hidden from this reader, kptr_restrict), and
// which of `functions` it has as text symbols.
struct KernelSymbols
{
  ModuleRange text;
  std::set<std::string> functions;
};
KernelSymbols kernel_symbols(const KernelPaths& paths, const std::vector<std::string>& functions);

// Of `wanted_gone` (absolute paths in the guest), those still listed in their folder. Listed,
// not looked up: looking up a /proc file an unloaded module left behind reads the module's
// proc_ops, which are gone with it.
std::vector<std::string> paths_still_listed(const KernelPaths& paths, const std::vector<std::string>& wanted_gone);

} // namespace kmgrade::agent
