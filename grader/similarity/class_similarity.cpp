#include "similarity/class_similarity.h"

#include "report/exports.h"

#include <fmt/format.h>

#include <algorithm>

namespace kmgrade::similarity {

std::string similarity_csv(const ClassSimilarity& result)
{
  std::string out = "module,student_a,student_b,percent,flagged\n";
  for (const auto& p : result.pairs) {
    out += report::csv_record({p.module, p.student_a, p.student_b, std::to_string(p.percent), p.flagged ? "yes" : "no"},
                              ",\"\r\n") +
           "\n";
  }
  return out;
}

nlohmann::json to_json(const ClassSimilarity& result)
{
  nlohmann::json j = {{"threshold", result.threshold},
                      {"min_run", result.min_run},
                      {"pairs", nlohmann::json::array()},
                      {"clusters", nlohmann::json::array()}};
  for (const auto& p : result.pairs) {
    j["pairs"].push_back({{"module", p.module},
                          {"student_a", p.student_a},
                          {"student_b", p.student_b},
                          {"percent", p.percent},
                          {"flagged", p.flagged},
                          {"view", p.view}});
  }
  for (const auto& c : result.clusters) {
    j["clusters"].push_back({{"module", c.module}, {"students", c.students}, {"max_percent", c.max_percent}});
  }
  return j;
}

std::string summary_text(const ClassSimilarity& result, std::size_t max_lines)
{
  if (result.clusters.empty()) {
    return "";
  }
  std::string out = fmt::format("similar submissions (at least {}%, see similarity.csv):\n", result.threshold);
  for (std::size_t i = 0; i < std::min(max_lines, result.clusters.size()); ++i) {
    const auto& c = result.clusters[i];
    out += fmt::format("  {}: {} ({}%)\n", c.module, fmt::join(c.students, ", "), c.max_percent);
  }
  if (result.clusters.size() > max_lines) {
    out += fmt::format("  and {} more groups\n", result.clusters.size() - max_lines);
  }
  return out;
}

} // namespace kmgrade::similarity
