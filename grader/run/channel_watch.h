#pragma once

#include "run/guest_time.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace kmgrade::run {

// Follows the agent's channel while the VM runs. The agent sends a heartbeat every two
// seconds: silence for k_silent_seconds means the guest is wedged (every CPU spinning with
// interrupts off, say). No new result for a load's worst case means the agent itself is
// stuck. Either way the VM is stopped, and so is a guest that said "done" but cannot power
// off (a thread stuck in the kernel), or one that runs past the boot's limit. Every limit
// counts the time the guest had to run (GuestTime), not what a busy host took from it.
//
// The agent first asks for its plan (observe::k_delivery_request), which the host sends once
// it has built the modules: the limits of the loads count from then on, and until then only
// the agent's start is timed.
class ChannelWatch
{
public:
  // The agent must ask for its plan within `start_limit`, and answer within it once the plan
  // went out.
  // `time` stands in for the guest's time in tests.
  ChannelWatch(std::filesystem::path channel, const std::string& secret, std::chrono::seconds start_limit,
               std::function<void(const std::string&)> progress, std::function<void(std::size_t)> on_result,
               GuestTime time = GuestTime());

  // The QEMU process, whose threads' waits for a host CPU do not count.
  void watch(int pid) { m_time.watch(pid); }

  // Reads what came since the last call; false once the VM is to be stopped (see stall() and
  // timed_out()).
  bool keep_going();

  // The agent has asked for its plan.
  bool asked() const { return m_asked; }

  // The plan to be sent: no load may take longer than `per_load` without a result, and the
  // whole plan no longer than `boot_limit`, from delivered() on.
  void limits_from(std::chrono::seconds per_load, std::chrono::seconds boot_limit)
  {
    m_per_load = per_load;
    m_boot_limit = boot_limit;
  }

  // The plan went out now.
  void delivered();

  // Why the VM was stopped early, or "".
  const std::string& stall() const { return m_stall; }

  // The VM was stopped at k_wall_time_factor times its limit in wall time.
  bool timed_out() const { return m_timed_out; }

  // Reads what came after the last look: a guest that powers off right after "done" ends
  // QEMU before the next one.
  void finish() { read_new(); }

private:
  void read_new();
  void tell(const std::string& what) const;

  std::filesystem::path m_channel;
  std::string m_prefix;
  std::chrono::seconds m_start_limit;
  std::chrono::seconds m_per_load{0};
  std::chrono::seconds m_boot_limit{0};
  std::function<void(const std::string&)> m_progress;
  std::function<void(std::size_t)> m_on_result;
  std::size_t m_results = 0;
  GuestTime m_time;
  std::chrono::nanoseconds m_last_line{0};
  std::chrono::nanoseconds m_last_result{0};
  std::chrono::nanoseconds m_done_at{0};
  std::chrono::nanoseconds m_delivered_at{0};
  std::chrono::nanoseconds m_delivered_wall{0};
  std::uintmax_t m_offset = 0;
  std::string m_partial;
  bool m_asked = false;
  bool m_delivered = false;
  bool m_answered = false;
  bool m_timed_out = false;
  bool m_done = false;
  std::string m_stall;
};

} // namespace kmgrade::run
