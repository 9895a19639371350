#include "run/guest_time.h"

#include "observe/numbers.h"

#include <algorithm>
#include <fstream>
#include <string>

namespace kmgrade::run {

namespace fs = std::filesystem;

GuestTime::GuestTime(fs::path proc, Clock now) : m_proc(std::move(proc)), m_now(std::move(now))
{
  if (!m_now) {
    m_now = [] { return std::chrono::steady_clock::now().time_since_epoch(); };
  }
  m_start = m_now();
}

std::chrono::nanoseconds GuestTime::wall() const
{
  return m_now() - m_start;
}

std::chrono::nanoseconds GuestTime::waited()
{
  if (m_pid <= 0) {
    return std::chrono::nanoseconds(0);
  }
  std::error_code ec;
  // QEMU's threads come and go, and QEMU itself may have exited: never the throwing increment.
  for (fs::directory_iterator it(m_proc / std::to_string(m_pid) / "task", ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& task = *it;
    // "run_ns wait_ns timeslices": every thread of QEMU starts after the watch began, so its
    // whole wait counts. A thread that has ended keeps what it was last seen to wait.
    std::ifstream in(task.path() / "schedstat");
    std::string run_ns;
    std::string wait_ns;
    if (in >> run_ns >> wait_ns) {
      m_waited_ns = std::max(m_waited_ns, observe::parse_number<std::uint64_t>(wait_ns).value_or(0));
    }
  }
  return std::chrono::nanoseconds(m_waited_ns);
}

std::chrono::nanoseconds GuestTime::elapsed()
{
  return std::max(std::chrono::nanoseconds(0), wall() - waited());
}

} // namespace kmgrade::run
