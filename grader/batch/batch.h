#pragma once

// compare_only, the comparison of a class without grading, is reached through this header too.
#include "batch/compare.h"
#include "batch/options.h"
#include "report/class_page.h"
#include "similarity/class_similarity.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::batch {

// What a batch did.
struct BatchResult
{
  std::size_t students = 0;
  std::size_t graded = 0;                                // graded by this run
  std::size_t unchanged = 0;                             // skipped: their report's resume key is the current one
  std::vector<report::FailedStudent> failed;             // students without a report, with why
  bool stopped = false;                                  // options.stop ended it early
  std::optional<similarity::ClassSimilarity> similarity; // unset: not compared, or it failed
  std::string similarity_error;                          // why the comparison failed
};

// Grades every student of the class, `jobs` at a time, each in its own scratch folder and
// VM. Each report is written to out_dir/reports/<id>.json (write, then rename) as soon as
// that student is done; a student whose report's resume key is the current one is not graded
// again (unless `regrade`), so an interrupted batch resumes. Any failure to grade one student,
// whatever its kind, is that student's: listed in `failed` with its reason, the others are
// graded. Then, unless turned off, compares the students' files (similarity::compare_class:
// similarity.csv, similarity.json, the side-by-side views; a failure there is reported, never
// a student's) and writes the class files (see write_class_files). Throws Error when the
// class cannot be read, out_dir cannot be written, the worksheet does not match the class, or
// similarity is asked for without sim_c, a corpus folder or a base file (all checked before
// any grading).
BatchResult run_batch(const BatchOptions& options);

} // namespace kmgrade::batch
