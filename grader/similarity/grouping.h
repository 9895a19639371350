#pragma once

#include "similarity/class_similarity.h"

#include <string>
#include <vector>

namespace kmgrade::similarity {

// Every pair of one module to compare: each two students once (student_a < student_b, a student
// listed twice counted once), then each student with each corpus file ("corpus:<path>" as
// student_b). Percent, flag and view unset. Cannot fail.
std::vector<PairScore> list_pairs(const std::string& module, const std::vector<std::string>& students,
                                  const std::vector<std::string>& corpus);

// Connected components of the flagged pairs, per module, each with its students sorted and the
// highest percent inside; largest first, then the most alike, then by module and first
// student. Pairs not flagged link nobody. Cannot fail.
std::vector<Cluster> cluster_pairs(const std::vector<PairScore>& pairs);

} // namespace kmgrade::similarity
