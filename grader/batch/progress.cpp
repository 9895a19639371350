#include "batch/progress.h"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

namespace kmgrade::batch {

Progress::Progress(const BatchOptions& options, std::size_t total)
    : m_options(options), m_live(options.log && options.live_progress), m_start(std::chrono::steady_clock::now())
{
  m_state.total = total;
  if (m_live) {
    m_ticker = std::thread([this] {
      std::unique_lock lock(m_mutex);
      while (!m_ended) {
        redraw();
        m_tick.wait_for(lock, std::chrono::seconds(1));
      }
    });
  }
}

Progress::~Progress()
{
  end();
}

void Progress::started(std::size_t slot, const std::string& label)
{
  std::lock_guard lock(m_mutex);
  m_running[slot] = {label, "", std::chrono::steady_clock::now()};
  redraw();
}

void Progress::stage(std::size_t slot, const std::string& stage)
{
  std::lock_guard lock(m_mutex);
  if (auto it = m_running.find(slot); it != m_running.end()) {
    it->second.stage = stage;
  }
}

void Progress::abandoned(std::size_t slot)
{
  std::lock_guard lock(m_mutex);
  m_running.erase(slot);
  redraw();
}

void Progress::finished(std::size_t slot, const std::string& line, bool failed)
{
  std::lock_guard lock(m_mutex);
  m_running.erase(slot);
  ++m_state.done;
  m_state.failed += failed;
  if (!m_options.log) {
    return;
  }
  if (m_live) {
    clear();
    *m_options.log << terminal_safe(line) << "\n";
    redraw();
  } else {
    *m_options.log << fmt::format("[{}/{}] ", m_state.done, m_state.total) << terminal_safe(line) << std::endl;
  }
}

void Progress::skipped(std::size_t n)
{
  std::lock_guard lock(m_mutex);
  m_state.done += n;
  m_state.skipped += n;
}

void Progress::end()
{
  {
    std::lock_guard lock(m_mutex);
    if (m_ended) {
      return;
    }
    m_ended = true;
    if (m_live) {
      clear();
      *m_options.log << std::flush;
    }
  }
  m_tick.notify_all();
  if (m_ticker.joinable()) {
    m_ticker.join();
  }
}

void Progress::clear()
{
  if (m_drawn > 1) {
    *m_options.log << "\033[" << (m_drawn - 1) << "A";
  }
  *m_options.log << "\r\033[J";
  m_drawn = 0;
}

void Progress::redraw()
{
  if (!m_live || m_ended) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  m_state.elapsed_s = std::chrono::duration<double>(now - m_start).count();
  m_state.stopping = m_options.stop && m_options.stop->load();
  m_state.running.clear();
  for (const auto& [slot, r] : m_running) {
    m_state.running.push_back({r.label, r.stage, std::chrono::duration<double>(now - r.since).count()});
  }
  const auto lines = render_board(m_state, terminal_width() - 1);
  clear();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    *m_options.log << (i ? "\n" : "") << lines[i];
  }
  *m_options.log << std::flush;
  m_drawn = lines.size();
}

std::size_t Progress::terminal_width()
{
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) {
    return ws.ws_col;
  }
  return 80;
}

} // namespace kmgrade::batch
