#pragma once

#include "batch/options.h"
#include "batch/progress_board.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace kmgrade::batch {

// What a TA watching the batch sees on options.log (nothing when it is null). On a terminal
// (options.live_progress): a board redrawn every second (a bar, the elapsed time and the ETA,
// then each running student's stage), with each finished student's line printed above it.
// Elsewhere: one line per finished student. Every member may be called from any thread.
class Progress
{
public:
  // Starts the redrawing thread when the board is live. `options` must outlive the Progress.
  Progress(const BatchOptions& options, std::size_t total);
  // Ends the board (see end()).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The grade in worker `slot` started, of the student shown as `label`.
  void started(std::size_t slot, const std::string& label);

  // The grade in worker `slot` reached `stage`; ignored when no grade runs there.
  void stage(std::size_t slot, const std::string& stage);

  // A grade that ended without an outcome (the batch was stopped).
  void abandoned(std::size_t slot);

  // The grade in worker `slot` ended with `line` to show, its student counted as failed or not.
  void finished(std::size_t slot, const std::string& line, bool failed);

  // `n` students counted as done without grading: their reports are current.
  void skipped(std::size_t n);

  // Takes the board off the screen and stops its thread; the later calls do nothing.
  void end();

private:
  // A grade in a worker slot, as the board shows it.
  struct Running
  {
    std::string label;
    std::string stage;
    std::chrono::steady_clock::time_point since;
  };

  // Takes the board off the screen: the cursor goes back to its first line. Caller holds m_mutex.
  void clear();
  // Draws the board again, when it is live and not ended. Caller holds m_mutex.
  void redraw();
  // The columns of the terminal on stderr; 80 when it says none, or 20 or fewer.
  static std::size_t terminal_width();

  const BatchOptions& m_options;
  const bool m_live;
  const std::chrono::steady_clock::time_point m_start;
  std::mutex m_mutex;
  std::condition_variable m_tick;
  BoardState m_state;
  std::map<std::size_t, Running> m_running; // by worker slot, in slot order
  std::size_t m_drawn = 0;                  // lines of the board on the screen
  bool m_ended = false;
  std::thread m_ticker;
};

} // namespace kmgrade::batch
