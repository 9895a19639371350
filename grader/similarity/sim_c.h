#pragma once

#include "similarity/pair_cache.h"
#include "util/process.h"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace kmgrade::similarity {

// Runs sim_c with these arguments in `cwd` and returns what it printed; injectable so tests
// can record or count the runs.
using SimRunner =
  std::function<util::ProcessResult(const std::vector<std::string>& argv, const std::filesystem::path& cwd)>;

// Throws Error, with how to install it, when sim_c (Debian's similarity-tester) is not in PATH.
void require_sim_c();

// One file a module compares: a student's or a corpus file.
struct ModuleFile
{
  std::string name;          // student id or "corpus:<path>"
  std::filesystem::path raw; // the file as handed in
  std::string normalised;    // what sim_c reads
  std::string sha256;        // of `normalised`
  std::string sim_name;      // its name in sim_c's work folder: f<N>.c
};

// Pairs of a module's files, by their index in its list of ModuleFile.
using FilePairs = std::vector<std::pair<std::size_t, std::size_t>>;

// Puts in `cache` the percent of each pair of `to_compare` (the larger of the two directions;
// no runs yet), from as few sim_c -p runs over the files in `work` as it takes, with runs of
// `min_run` tokens. `run_sim` empty: the real sim_c. Throws Error when sim_c cannot be run,
// fails, or prints more than 64 MiB.
void compare_uncached(const std::vector<ModuleFile>& files, const FilePairs& to_compare,
                      const std::filesystem::path& work, const SimRunner& run_sim, int min_run, Cache& cache);

// Puts in `cache` the matching regions of each pair of `needed` whose entry lacks them, from one
// sim_c -n run over their files in `work` (each pair in isolation). Every pair must have a
// cache entry already (see compare_uncached): std::out_of_range otherwise. Throws Error as
// compare_uncached does.
void fill_regions(const std::vector<ModuleFile>& files, const FilePairs& needed, const std::filesystem::path& work,
                  const SimRunner& run_sim, int min_run, Cache& cache);

} // namespace kmgrade::similarity
