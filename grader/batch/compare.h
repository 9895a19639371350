#pragma once

#include "batch/options.h"
#include "intake/moodle.h"
#include "score/rubric.h"
#include "similarity/class_similarity.h"
#include "similarity/similarity.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::batch {

// Similarity's inputs, checked before an hour of grading rather than after it. Nothing when
// options.similarity is off; otherwise throws Error when sim_c is missing (saying how to install
// it), options.corpus is given and not a folder, or a base file does not exist.
void check_similarity_inputs(const BatchOptions& options);

// What comparing a class gave: the comparison, or why there is none.
struct ClassComparison
{
  std::optional<similarity::ClassSimilarity> similarity; // unset: the comparison failed
  std::string error;                                     // why it failed
};

// Each student's files of the lab, found in their submission (an archive is unpacked under
// `scratch`). A student whose submission cannot be read is left out: their grading says why.
// Throws what the file system throws (a std::filesystem::filesystem_error, say).
std::vector<similarity::StudentFiles> find_student_files(const score::Rubric& rubric,
                                                         const std::vector<intake::Student>& students,
                                                         const std::filesystem::path& scratch);

// `files` compared (similarity::compare_class) into options.out_dir with the threshold and
// minimum run of `options`, or else of `rubric`. An Error of the comparison is not thrown but
// given as the result's `error`; anything else (a std::filesystem::filesystem_error, say) is
// thrown.
ClassComparison compare_files(const BatchOptions& options, const score::Rubric& rubric,
                              const std::vector<similarity::StudentFiles>& files);

// Only the similarity part of a batch, without grading: the class split as run_batch does
// it, each student's files found, compared (similarity::compare_class) into options.out_dir,
// and its summary lines printed to options.summary. Throws Error when the class cannot be
// read, sim_c is missing or the comparison fails.
similarity::ClassSimilarity compare_only(const BatchOptions& options);

} // namespace kmgrade::batch
