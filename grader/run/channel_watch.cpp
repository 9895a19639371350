#include "run/channel_watch.h"

#include "observe/delivery.h"
#include "observe/observation.h"
#include "run/sandbox_vm.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <string_view>

namespace kmgrade::run {

namespace fs = std::filesystem;

ChannelWatch::ChannelWatch(fs::path channel, const std::string& secret, std::chrono::seconds start_limit,
                           std::function<void(const std::string&)> progress, std::function<void(std::size_t)> on_result,
                           GuestTime time)
    : m_channel(std::move(channel)), m_prefix(observe::channel_prefix(secret)), m_start_limit(start_limit),
      m_progress(std::move(progress)), m_on_result(std::move(on_result)), m_time(std::move(time))
{}

void ChannelWatch::delivered()
{
  tell("sending the plan to the sandbox agent");
  m_delivered = true;
  m_delivered_at = m_time.elapsed();
  m_delivered_wall = m_time.wall();
  m_last_line = m_delivered_at;
  m_last_result = m_delivered_at;
}

bool ChannelWatch::keep_going()
{
  read_new();
  const auto now = m_time.elapsed();
  const auto start = m_start_limit;
  if (m_done) {
    return now - m_done_at < std::chrono::seconds(10);
  }
  if (!m_delivered) {
    // Waiting for the host's own build is no fault of the guest's.
    if (!m_asked && now >= start) {
      m_stall = "its agent did not start within " + std::to_string(start.count()) + " s";
    }
    m_timed_out = !m_asked && m_time.wall() >= k_wall_time_factor * start;
  } else if (m_time.wall() - m_delivered_wall >= k_wall_time_factor * m_boot_limit) {
    m_timed_out = true;
  } else if (now - m_delivered_at >= m_boot_limit) {
    m_stall = "it did not finish within " + std::to_string(m_boot_limit.count()) + " s";
  } else if (!m_answered) {
    if (now - m_last_line >= start) {
      m_stall = "its agent did not start within " + std::to_string(start.count()) + " s";
    }
  } else if (now - m_last_line >= std::chrono::seconds(k_silent_seconds)) {
    m_stall = "nothing came from its agent for " + std::to_string(k_silent_seconds) + " s";
  } else if (now - m_last_result >= m_per_load) {
    m_stall = "its agent returned no result for " + std::to_string(m_per_load.count()) + " s";
  }
  if (!m_stall.empty()) {
    if (const auto waited = m_time.waited(); waited >= std::chrono::seconds(1)) {
      m_stall += fmt::format(" (and waited {:.0f} s more for a CPU of this busy machine)",
                             std::chrono::duration<double>(waited).count());
    }
  }
  return m_stall.empty() && !m_timed_out;
}

void ChannelWatch::read_new()
{
  std::ifstream in(m_channel, std::ios::binary);
  if (!in || !in.seekg(static_cast<std::streamoff>(m_offset))) {
    return;
  }
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (chunk.empty()) {
    return;
  }
  // One look at the guest's time for all the lines that came together.
  const auto now = m_time.elapsed();
  m_offset += chunk.size();
  m_partial += chunk;
  std::size_t start = 0;
  for (auto nl = m_partial.find('\n'); nl != std::string::npos; nl = m_partial.find('\n', start)) {
    std::string_view line(m_partial.data() + start, nl - start);
    if (!m_asked && line == observe::k_delivery_request.substr(0, observe::k_delivery_request.size() - 1)) {
      tell("the sandbox booted to its agent");
      m_asked = true;
    } else if (auto at = line.find(m_prefix); at != std::string_view::npos) {
      const auto kind = line.substr(at + m_prefix.size());
      if (!m_answered) {
        tell("the sandbox agent is up");
      }
      m_answered = true;
      m_last_line = now;
      if (kind.substr(0, 6) != "alive ") {
        m_last_result = now;
      }
      if (kind.substr(0, 4) == "run " && m_on_result) {
        m_on_result(++m_results);
      }
      if (!m_done && kind.substr(0, 5) == "done ") {
        m_done = true;
        m_done_at = now;
        tell("the sandbox ran its loads");
      }
    }
    start = nl + 1;
  }
  m_partial.erase(0, start);
}

void ChannelWatch::tell(const std::string& what) const
{
  if (m_progress) {
    m_progress(fmt::format("{} after {:.1f} s", what, std::chrono::duration<double>(m_time.wall()).count()));
  }
}

} // namespace kmgrade::run
