#pragma once

#include "similarity/class_similarity.h"
#include "similarity/sim_c.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kmgrade::similarity {

// One student's files of the lab, as intake found them.
struct StudentFiles
{
  std::string id;                                       // batch student id
  std::map<std::string, std::filesystem::path> modules; // module id ("hello") -> file
};

// Where a comparison into `out_dir` keeps the files student `id` handed in:
// out_dir/sources/<id>. Cannot fail.
std::filesystem::path student_sources(const std::filesystem::path& out_dir, const std::string& id);

// The file of `module` there: out_dir/sources/<id>/<module>.c. Cannot fail.
std::filesystem::path source_path(const std::filesystem::path& out_dir, const std::string& id,
                                  const std::string& module);

struct CompareOptions
{
  int threshold = 60;                            // percent at which a pair is flagged
  int min_run = k_sim_c_min_run;                 // sim_c's minimum run (-r), in tokens
  std::filesystem::path corpus;                  // optional: earlier solutions, every *.c under it
  std::vector<std::filesystem::path> base_files; // code every student was given
  SimRunner run_sim;                             // empty: the real sim_c through util::run_process
};

// Compares each module of every student with the same module of every other student and
// with the corpus files of that module (a corpus file whose name names no module is compared
// in every module), after removing the kernel-module boilerplate and the base files' lines.
// Writes, under out_dir: sources/<id>/<module>.c (the students' files as handed in),
// similarity.csv, similarity.json, similarity/cache.json and, for each flagged pair, the
// side-by-side view similarity/<module>/<a>--<b>.html. Only pairs missing from the cache
// (keyed by the sha256 of both normalised files; a cache of another min_run is not read) are
// given to sim_c: a rerun where nothing changed runs it not at all. At most 200 views per
// module, of the most alike pairs. Throws Error when a base file does not exist, the corpus is
// not a folder, sim_c cannot be run or out_dir not written.
ClassSimilarity compare_class(const std::vector<StudentFiles>& students, const std::vector<std::string>& modules,
                              const std::filesystem::path& out_dir, const CompareOptions& options);

} // namespace kmgrade::similarity
