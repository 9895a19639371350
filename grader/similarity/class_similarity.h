#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace kmgrade::similarity {

// How alike two students' files of one module are. Similarity never changes a score: it is a
// lead for a person to follow.
struct PairScore
{
  std::string module;    // rubric module id: "hello"
  std::string student_a; // batch student id; a < b
  std::string student_b; // a student id, or "corpus:<file name>" for a file of --corpus
  int percent = 0;       // 0..100: how much of the smaller file the larger one covers
  bool flagged = false;  // percent >= the threshold
  // Where the side-by-side view of the two files is, relative to the batch's output folder
  // ("similarity/hello/101--102.html"); empty when the pair is not flagged (or when a
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

// What comparing a class found.
struct ClassSimilarity
{
  int threshold = 0;             // percent at which a pair is flagged
  int min_run = k_sim_c_min_run; // sim_c's minimum run, in tokens, the percents were measured with
  std::vector<PairScore> pairs;  // every compared pair, by module then students
  std::vector<Cluster> clusters; // largest first
};

// similarity.csv: the header "module,student_a,student_b,percent,flagged", then one record per
// pair in the order of result.pairs, flagged as yes or no. Cannot fail.
std::string similarity_csv(const ClassSimilarity& result);

// similarity.json: threshold, min_run, every pair (with its view) and every cluster. Cannot fail.
nlohmann::json to_json(const ClassSimilarity& result);

// The class summary's lines: a header naming the threshold, then each cluster on one line, at
// most `max_lines` of them and a line counting the rest; "" when there is no cluster.
std::string summary_text(const ClassSimilarity& result, std::size_t max_lines = 8);

} // namespace kmgrade::similarity
