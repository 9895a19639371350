#pragma once

#include "report/report.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::report {

enum class ChartFormat { svg, png };

// The format a chart file's name asks for: ".svg" or ".png". Throws Error naming the file for
// any other ending, and when gnuplot, which draws it, is not installed: both are known before
// a grade is spent on the chart.
ChartFormat chart_format(const std::filesystem::path& file);

// What a lab's timing chart says it shows (its file's timing.chart).
struct ChartLabels
{
  std::string title;  // "Time against count"
  std::string x_axis; // "count (objects)"
};

// Draws the report's times against the lab's timed parameter, at each of `values` that has one: per module the
// student's times as a solid line with points and the reference's as a dashed line of the same
// colour, titled, with the axes' units, a legend, and a subtitle naming the kernel, the machine
// and the accelerator (or that the kernel was the machine's own, with --host). The time axis is logarithmic (one page allocation and a loop of
// thousands differ a thousandfold), so a time of 0 cannot be drawn and is left out. Writes
// `file` in one rename, in the format chart_format gives. Throws Error when it cannot be
// drawn: no time to draw, gnuplot missing or failing.
void write_timing_chart(const Report& report, const std::vector<unsigned>& values, const ChartLabels& labels,
                        const std::filesystem::path& file);

} // namespace kmgrade::report
