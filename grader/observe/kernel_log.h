#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::observe {

// One record of the kernel log as /dev/kmsg gives it: "prio,seq,usecs,flags;text".
struct LogRecord
{
  int level = 6;
  std::uint64_t seq = 0;
  std::uint64_t ts_us = 0;
  std::string text;
};

// Parses one /dev/kmsg record (continuation lines " KEY=value" are not part of it).
// Returns nullopt when the header is malformed.
std::optional<LogRecord> parse_kmsg_record(std::string_view record);

// What kind of kernel trouble a log line announces, if any.
enum class KernelTrouble {
  none,
  oops,        // "Oops:", "BUG: unable to handle", "general protection fault"
  bug,         // "BUG: ..." (includes slub_debug's "BUG kmalloc-32 (...)")
  warning,     // "WARNING: CPU: N PID: M at file:line"
  soft_lockup, // "watchdog: BUG: soft lockup"
  hung_task,   // "INFO: task ... blocked for more than"
  rcu_stall,   // "rcu: INFO: rcu_sched detected stalls"
  slab_leak,   // "kmem_cache_destroy X: Slab cache still has objects"
};

KernelTrouble classify_log_line(std::string_view text);

// A soft lockup, hung task or RCU stall: a CPU or a task that made no progress.
bool is_stall(KernelTrouble trouble);
const char* to_string(KernelTrouble trouble);

} // namespace kmgrade::observe
