#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::batch {

// A student being graded, as the board shows them.
struct RunningStudent
{
  std::string label;  // "Ada Lovelace (101)"
  std::string stage;  // what pipeline::GradeOptions::stage said last: "building", "load 12 of 29"
  double seconds = 0; // since their grade started
};

// Where a batch is.
struct BoardState
{
  std::size_t total = 0;   // students in the class
  std::size_t done = 0;    // with an outcome, the unchanged ones included
  std::size_t skipped = 0; // unchanged since their report: done without grading
  std::size_t failed = 0;
  double elapsed_s = 0;
  std::vector<RunningStudent> running;
  bool stopping = false; // asked to stop: the running grades are being stopped
};

// "42s", "4m12s", "1h02m".
std::string format_duration(double seconds);

// How much of one grade a stage stands for, 0 to 1: the loads are most of a grade.
double stage_fraction(std::string_view stage);

// Seconds left, from the pace so far, counting the running grades by their stages; nullopt
// in the first 20 s or before anything has moved.
std::optional<double> eta_seconds(const BoardState& state);

// The lines a terminal shows: a bar with the counts, the elapsed time and the ETA, then one
// line per running student with their stage; each at most `width` columns (80 fit the first).
std::vector<std::string> render_board(const BoardState& state, std::size_t width);

// `text` with every control character (an escape sequence in a folder name, say) shown as
// '?': what a student named cannot move a TA's cursor or recolour their terminal.
std::string terminal_safe(std::string_view text);

} // namespace kmgrade::batch
