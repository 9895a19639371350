#pragma once

#include "util/process.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::similarity {

// How alike two students' files of one module are. Similarity never changes a score: it is a
// lead for a person to follow.
struct PairScore
{
  std::string module;    // rubric module id: "page_alloc"
  std::string student_a; // batch student id; a < b
  std::string student_b; // a student id, or "corpus:<file name>" for a file of --corpus
  int percent = 0;       // 0..100: how much of the smaller file the larger one covers
  bool flagged = false;  // percent >= the threshold
  // Where the side-by-side view of the two files is, relative to the batch's output folder
  // ("similarity/page_alloc/101--102.html"); empty when the pair is not flagged (or when a
  // module has more than 200 flagged pairs and this is not among the 200 most alike).
  std::string view;
};

// Students linked by flagged pairs of one module (connected components).
struct Cluster
{
  std::string module;
  std::vector<std::string> students; // sorted
  int max_percent = 0;               // of the flagged pairs inside
};

// sim_c's own minimum run, in tokens: what a comparison uses when nothing says otherwise.
inline constexpr int k_sim_c_min_run = 24;

struct ClassSimilarity
{
  int threshold = 0;              // percent at which a pair is flagged
  int min_run = k_sim_c_min_run;  // sim_c's minimum run, in tokens, the percents were measured with
  std::vector<PairScore> pairs;   // every compared pair, by module then students
  std::vector<Cluster> clusters;  // largest first
};

// One student's files of the lab, as intake found them.
struct StudentFiles
{
  std::string id;                                        // batch student id
  std::map<std::string, std::filesystem::path> modules; // module id ("page_alloc") -> file
};

// Runs sim_c with these arguments in `cwd` and returns what it printed; injectable so tests
// can record or count the runs.
using SimRunner = std::function<util::ProcessResult(const std::vector<std::string>& argv, const std::filesystem::path& cwd)>;

struct CompareOptions
{
  int threshold = 60;                             // percent at which a pair is flagged
  int min_run = k_sim_c_min_run;                  // sim_c's minimum run (-r), in tokens
  std::filesystem::path corpus;                   // optional: earlier solutions, every *.c under it
  std::vector<std::filesystem::path> base_files;  // code every student was given
  SimRunner run_sim;                              // empty: the real sim_c through util::run_process
};

// Compares each module of every student with the same module of every other student and
// with the corpus files of that module (a corpus file whose name names no module is compared
// in every module), after removing the kernel-module boilerplate and the base files' lines.
// Writes, under out_dir: sources/<id>/<module>.c (the students' files as handed in),
// similarity.csv, similarity.json, similarity/cache.json and, for each flagged pair, the
// side-by-side view similarity/<module>/<a>--<b>.html. Only pairs missing from the cache
// (keyed by the sha256 of both normalised files; a cache of another min_run is not read) are
// given to sim_c: a rerun where nothing changed runs it not at all. At most 200 views per
// module, of the most alike pairs. Throws Error when sim_c cannot be run or out_dir not written.
ClassSimilarity compare_class(const std::vector<StudentFiles>& students, const std::vector<std::string>& modules,
                              const std::filesystem::path& out_dir, const CompareOptions& options);

// The ClassSimilarity a batch wrote to out_dir/similarity.json; nullopt when there is none
// or it cannot be read.
std::optional<ClassSimilarity> read_class_similarity(const std::filesystem::path& out_dir);

// Throws Error, with how to install it, when sim_c (Debian's similarity-tester) is not in PATH.
void require_sim_c();

// --- the parts, for tests and the class page -------------------------------------------------

// Lines of the base files that do not count as a match: each trimmed, spaces collapsed;
// lines too short to mean anything ("}", "return 0;") are left out.
std::set<std::string> base_lines(const std::vector<std::string>& base_texts);

// `text` with every line of kernel-module boilerplate (#include and other preprocessor lines,
// MODULE_LICENSE/AUTHOR/DESCRIPTION/..., module_init/exit, module_param) and every line found
// in `base` replaced by an empty line: line numbers stay those of the file as handed in.
std::string normalise_source(std::string_view text, const std::set<std::string>& base);

// One line "F consists for N % of G material" of sim_c -p.
struct DirectedPercent
{
  std::string file;
  std::string of;
  int percent = 0;
};

// The percentage lines of sim_c -p output; other lines are skipped.
std::vector<DirectedPercent> parse_percentages(std::string_view output);

// A matching region: lines first..last (1-based, inclusive) of file a and of file b.
struct Run
{
  int a_first = 0;
  int a_last = 0;
  int b_first = 0;
  int b_last = 0;
};

// The runs of sim_c -n output, by the two files' names as the output gives them.
std::map<std::pair<std::string, std::string>, std::vector<Run>> parse_all_runs(std::string_view output);

// The runs of sim_c -n output between `file_a` and `file_b` (either order in the output;
// each Run is given as a, b).
std::vector<Run> parse_runs(std::string_view output, const std::string& file_a, const std::string& file_b);

// Every pair of one module to compare: each two students once (student_a < student_b), then
// each student with each corpus file ("corpus:<path>" as student_b). Percent and flags unset.
std::vector<PairScore> list_pairs(const std::string& module, const std::vector<std::string>& students,
                                  const std::vector<std::string>& corpus);

// Connected components of the flagged pairs, per module; largest first, then by module and
// first student.
std::vector<Cluster> cluster_pairs(const std::vector<PairScore>& pairs);

// The two files side by side, the lines of each run marked in the same colour on both sides;
// all text escaped; no external files.
std::string side_by_side_html(const PairScore& pair, std::string_view text_a, std::string_view text_b,
                              const std::vector<Run>& runs);

// similarity.csv: module,student_a,student_b,percent,flagged
std::string similarity_csv(const ClassSimilarity& result);

nlohmann::json to_json(const ClassSimilarity& result);
ClassSimilarity class_similarity_from_json(const nlohmann::json& j);

// The class summary's lines: each cluster on one line, at most `max_lines`; "" when none.
std::string summary_text(const ClassSimilarity& result, std::size_t max_lines = 8);

} // namespace kmgrade::similarity
