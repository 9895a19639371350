#pragma once

#include "similarity/class_similarity.h"
#include "similarity/sim_c_output.h"

#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::similarity {

// A whole HTML page: the two files side by side with their line numbers, the lines of each run
// marked in the same colour on both sides (runs given as a, b), tabs expanded to kernel-style
// stops; all text escaped, nothing loaded from elsewhere. Cannot fail.
std::string side_by_side_html(const PairScore& pair, std::string_view text_a, std::string_view text_b,
                              const std::vector<Run>& runs);

} // namespace kmgrade::similarity
