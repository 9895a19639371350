#include "batch/compare.h"

#include "intake/submission.h"
#include "util/error.h"
#include "util/files.h"

#include <fmt/format.h>

namespace kmgrade::batch {

namespace fs = std::filesystem;

void check_similarity_inputs(const BatchOptions& options)
{
  if (!options.similarity) {
    return;
  }
  similarity::require_sim_c();
  if (!options.corpus.empty() && !fs::is_directory(options.corpus)) {
    throw Error("the corpus " + options.corpus.string() + " is not a folder");
  }
  for (const auto& b : options.base_files) {
    if (!fs::is_regular_file(b)) {
      throw Error("the base file " + b.string() + " does not exist");
    }
  }
}

std::vector<similarity::StudentFiles>
find_student_files(const score::Rubric& rubric, const std::vector<intake::Student>& students, const fs::path& scratch)
{
  std::vector<similarity::StudentFiles> files;
  for (const auto& s : students) {
    try {
      const auto sub = intake::open_submission(s.folder, pipeline::wanted_files(rubric), scratch / ("similar-" + s.id));
      similarity::StudentFiles f{s.id, {}};
      for (const auto& m : rubric.modules) {
        if (auto it = sub.files.find(m.file); it != sub.files.end()) {
          f.modules[m.id] = it->second;
        }
      }
      files.push_back(std::move(f));
    } catch (const Error&) {
      // Unreadable: its grading says why; there is nothing of it to compare.
    }
  }
  return files;
}

ClassComparison compare_files(const BatchOptions& options, const score::Rubric& rubric,
                              const std::vector<similarity::StudentFiles>& files)
{
  std::vector<std::string> modules;
  for (const auto& m : rubric.modules) {
    modules.push_back(m.id);
  }
  similarity::CompareOptions compare;
  compare.threshold = options.similarity_threshold.value_or(rubric.similarity_threshold);
  compare.min_run = options.similarity_min_run.value_or(rubric.similarity_min_run);
  compare.corpus = options.corpus;
  compare.base_files = options.base_files;
  ClassComparison out;
  try {
    out.similarity = similarity::compare_class(files, modules, options.out_dir, compare);
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

similarity::ClassSimilarity compare_only(const BatchOptions& options)
{
  BatchOptions checked = options;
  checked.similarity = true;
  check_similarity_inputs(checked);
  const score::Rubric rubric = score::load_rubric(options.grade.rubric);
  const fs::path scratch = options.out_dir / ".scratch";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  util::create_private_folder(scratch); // the students' code, as in a batch
  ClassComparison result;
  try {
    const auto students = intake::split_class(options.input, scratch / "class");
    result = compare_files(options, rubric, find_student_files(rubric, students, scratch));
  } catch (...) {
    fs::remove_all(scratch, ec);
    throw;
  }
  fs::remove_all(scratch, ec);
  if (!result.similarity) {
    throw Error("cannot compare the class " + options.input.string() + ": " + result.error);
  }
  if (options.summary) {
    const auto text = similarity::summary_text(*result.similarity);
    *options.summary << (text.empty()
                           ? fmt::format("similar submissions: none at {}% or more\n", result.similarity->threshold)
                           : text)
                     << fmt::format("wrote {}/similarity.csv ({} pairs) and {}/similarity.json\n",
                                    options.out_dir.string(), result.similarity->pairs.size(),
                                    options.out_dir.string());
  }
  return *result.similarity;
}

} // namespace kmgrade::batch
