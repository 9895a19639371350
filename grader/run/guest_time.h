#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>

namespace kmgrade::run {

// How long a sandbox VM has had to run: wall time less the time its QEMU process's threads
// waited on a host run queue for a CPU (schedstat's run delay), the most any one of them
// waited. On an idle host the two agree; on a host busy with other work the guest may get
// a fraction of the wall time, and what it never got cannot count against it. An idle guest
// is not waiting, so a guest that hangs doing nothing still runs out of time. Where the host
// kernel has no schedstat, this is wall time.
class GuestTime
{
public:
  using Clock = std::function<std::chrono::nanoseconds()>;

  // Counts from now. `proc` and `now` stand in for /proc and the monotonic clock in tests.
  explicit GuestTime(std::filesystem::path proc = "/proc", Clock now = {});

  // The QEMU process whose threads are watched; until it is known, time is wall time.
  void watch(int pid) { m_pid = pid; }

  // The wall time since construction, and how much of it the guest waited for a host CPU.
  std::chrono::nanoseconds wall() const;
  std::chrono::nanoseconds waited();
  // wall() less waited().
  std::chrono::nanoseconds elapsed();

private:
  std::filesystem::path m_proc;
  Clock m_now;
  std::chrono::nanoseconds m_start;
  int m_pid = 0;
  std::uint64_t m_waited_ns = 0; // the most a thread of the process waited, as last seen
};

} // namespace kmgrade::run
