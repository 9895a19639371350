#pragma once

#include "batch/class_files.h"
#include "batch/options.h"
#include "batch/shard.h"
#include "report/class_page.h"
#include "similarity/class_similarity.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::batch {

// A folder a shard was graded into, and what its shard.json says.
struct ShardFolder
{
  std::filesystem::path dir;
  ShardRecord record;
};

// Throws Error, naming what differs shard by shard, unless the shards are of one class
// download (the same roster hash), hold every student of it exactly once (the message names
// the students missing, and those held twice with both shards), and were graded by the same
// kmgrade build, lab (its file and reference solution) and sandbox kernel; and, unless
// `mixed_accel`, with the same accelerator (a shard without a report has none to compare).
// `shards` must not be empty.
void check_shards(const std::vector<ShardFolder>& shards, bool mixed_accel);

// What merging shards gave.
struct MergeResult
{
  std::size_t students = 0;                              // in the class
  std::vector<report::FailedStudent> failed;             // whose grading failed in their shard, by id
  std::optional<similarity::ClassSimilarity> similarity; // unset: not compared, or it failed
  std::string similarity_error;                          // why the comparison failed
  ClassFiles files;
};

// The class files of shards graded apart. Reads each folder's shard.json and checks the shards
// (check_shards), that options.grade.rubric is the lab file they were graded with, that
// options.out_dir can be written, similarity's inputs (check_similarity_inputs) and the
// worksheet against the class, all before anything is written. Then puts each student's report
// in options.out_dir/reports as their shard has it (and the work folder of a failed grade in
// failed/), compares the whole class's files (each shard's sources/) unless options.similarity
// is off, and writes the class files (write_class_files). A shard folder may be
// options.out_dir itself: nothing of it is copied. The reports are kept as they are: each
// student's times stay compared with their own shard's reference. Throws Error when a check
// fails or a report or class file cannot be written, a usage Error when `shard_dirs` is empty,
// and std::filesystem::filesystem_error when a failed grade's folder cannot be copied.
MergeResult merge_shards(const BatchOptions& options, const std::vector<std::filesystem::path>& shard_dirs,
                         bool mixed_accel);

} // namespace kmgrade::batch
