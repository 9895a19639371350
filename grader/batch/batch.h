#pragma once

// compare_only, the comparison of a class without grading, and merge_shards, the class files
// of shards graded apart, are reached through this header too.
#include "batch/compare.h"
#include "batch/merge.h"
#include "batch/options.h"
#include "report/class_page.h"

#include <cstddef>
#include <vector>

namespace kmgrade::batch {

// What grading a shard did.
struct ShardResult
{
  std::size_t class_size = 0;                // students in the class download
  std::size_t students = 0;                  // of them, in the shard
  std::size_t graded = 0;                    // graded by this run
  std::size_t unchanged = 0;                 // skipped: their report's resume key is the current one
  std::vector<report::FailedStudent> failed; // students without a report, with why, by id
  bool stopped = false;                      // options.stop ended it early
  double seconds = 0;                        // the time it took
};

// What a batch did: its grading of the whole class, then the class files (merged is empty
// when grading was stopped).
struct BatchResult
{
  ShardResult grading;
  MergeResult merged;
};

// Grades the students of the class that options.shard holds (see shard_of), `jobs` at a time,
// each in its own scratch folder and VM. Each report is written to out_dir/reports/<id>.json
// (write, then rename) as soon as that student is done; a student whose report's resume key is
// the current one is not graded again (unless `regrade`), so an interrupted shard resumes. Any
// failure to grade one student, whatever its kind, is that student's: listed in `failed` with
// its reason, the others are graded. Then keeps the shard's students' lab files in
// out_dir/sources (what merge_shards compares) and writes out_dir/shard.json (see
// ShardRecord), which is removed as grading starts: only a shard graded to the end has one.
// Throws Error when the class cannot be read, out_dir cannot be written, or what the class
// files need is wrong: a worksheet that does not match the class, or similarity asked for
// without sim_c, a corpus folder or a base file (all checked before any grading).
ShardResult grade_shard(const BatchOptions& options);

// The whole class: grade_shard as shard 1/1 into options.out_dir, then, unless stopped,
// merge_shards of that one folder into itself, and the class summary on options.summary.
// Throws what they throw.
BatchResult run_batch(const BatchOptions& options);

} // namespace kmgrade::batch
