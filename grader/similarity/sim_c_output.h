#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmgrade::similarity {

// One line "F consists for N % of G material" of sim_c -p.
struct DirectedPercent
{
  std::string file;
  std::string of;
  int percent = 0; // at most 100
};

// The percentage lines of sim_c -p output, in the order printed; every other line (headers,
// blank lines, lines that only look alike) is skipped. Throws std::out_of_range on a number
// too large for an int, which sim_c never prints.
std::vector<DirectedPercent> parse_percentages(std::string_view output);

// A matching region: lines first..last (1-based, inclusive) of file a and of file b.
struct Run
{
  int a_first = 0;
  int a_last = 0;
  int b_first = 0;
  int b_last = 0;
};

// The runs of sim_c -n output, keyed by the two files' names in the order the output gives
// them (the first file's lines are a, the second's b); every other line is skipped. Throws
// std::out_of_range on a line number too large for an int, which sim_c never prints.
std::map<std::pair<std::string, std::string>, std::vector<Run>> parse_all_runs(std::string_view output);

} // namespace kmgrade::similarity
