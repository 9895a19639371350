#pragma once

#include "batch/shard.h"
#include "pipeline/grade.h"

#include <atomic>
#include <filesystem>
#include <optional>
#include <ostream>
#include <vector>

namespace kmgrade::batch {

// What a batch is asked to do.
struct BatchOptions
{
  std::filesystem::path input;                   // Moodle's class zip, or a folder of student folders
  std::filesystem::path out_dir;                 // reports/, summary.csv, moodle-grades.csv
  int jobs = 1;                                  // students graded at once
  Shard shard;                                   // the students grade_shard grades (run_batch: all)
  pipeline::GradeOptions grade;                  // everything but the submission and the progress
  std::filesystem::path manual_points;           // optional CSV: participant_id,exercise,points,comment
  std::filesystem::path gradescope_dir;          // optional: <dir>/<id>/results.json
  std::filesystem::path worksheet;               // optional: Moodle's grading worksheet to fill in
  bool regrade = false;                          // grade every student, even one whose report is current
  bool similarity = true;                        // compare the students' files (needs sim_c)
  std::filesystem::path corpus;                  // optional: earlier solutions to compare with too
  std::vector<std::filesystem::path> base_files; // code every student was given: no match
  std::optional<int> similarity_threshold;       // percent; unset: the rubric's
  std::optional<int> similarity_min_run;         // sim_c's minimum run in tokens; unset: the rubric's
  bool live_progress = false;                    // redraw one status line (a terminal)
  std::ostream* log = nullptr;                   // progress lines
  std::ostream* summary = nullptr;               // the class summary at the end
  // Once true (a signal handler sets it), running grades are stopped, no other starts, and
  // the batch returns without writing the class files: a rerun resumes.
  const std::atomic<bool>* stop = nullptr;
};

} // namespace kmgrade::batch
