#include "similarity/sim_c_output.h"

#include "util/text.h"

#include <algorithm>
#include <regex>

namespace kmgrade::similarity {

std::vector<DirectedPercent> parse_percentages(std::string_view output)
{
  static const std::regex k_line(R"(^(.+) consists for ([0-9]+) % of (.+) material\s*$)");
  std::vector<DirectedPercent> out;
  for (auto line : util::split_lines(output)) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_match(line.begin(), line.end(), m, k_line)) {
      out.push_back({m[1].str(), m[3].str(), std::min(100, std::stoi(m[2].str()))});
    }
  }
  return out;
}

std::map<std::pair<std::string, std::string>, std::vector<Run>> parse_all_runs(std::string_view output)
{
  // "f1.c: line 44-53       |f2.c: line 32-41  [38]"
  static const std::regex k_line(R"(^(.+): line ([0-9]+)-([0-9]+)\s*\|(.+): line ([0-9]+)-([0-9]+)\s*\[[0-9]+\]\s*$)");
  std::map<std::pair<std::string, std::string>, std::vector<Run>> out;
  for (auto line : util::split_lines(output)) {
    // Most lines of the output are the file list and blank lines: skip them before the regex.
    if (line.find('|') == std::string_view::npos) {
      continue;
    }
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_match(line.begin(), line.end(), m, k_line)) {
      out[{m[1].str(), m[4].str()}].push_back(
        {std::stoi(m[2].str()), std::stoi(m[3].str()), std::stoi(m[5].str()), std::stoi(m[6].str())});
    }
  }
  return out;
}

} // namespace kmgrade::similarity
