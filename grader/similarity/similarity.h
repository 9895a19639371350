#pragma once

#include <filesystem>
#include <string>
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
  // ("similarity/page_alloc/101--102.html"); empty when the pair is not flagged.
  std::string view;
};

// Students linked by flagged pairs of one module (connected components).
struct Cluster
{
  std::string module;
  std::vector<std::string> students; // sorted
  int max_percent = 0;               // of the flagged pairs inside
};

struct ClassSimilarity
{
  int threshold = 0;              // percent at which a pair is flagged
  std::vector<PairScore> pairs;   // every compared pair, by module then students
  std::vector<Cluster> clusters;  // largest first
};

} // namespace kmgrade::similarity
