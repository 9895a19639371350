#pragma once

#include "report/report.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::report {

// The times a lab report asks for (a lab's timing.report_values): for each module of a report's
// measurements and each of `values`, the student's time and the reference's, in µs.

// The modules a report's measurements cover, in the order they first appear.
std::vector<std::string> measured_modules(const Report& report);

// The measurement of `module` at `value`, or nullptr when the report has none.
const evaluate::Measurement* find_measurement(const Report& report, const std::string& module, unsigned value);

enum class TableFormat { markdown, csv };

// The format a table file's name asks for: ".md" Markdown, ".csv" CSV. Throws Error naming
// the file for any other ending.
TableFormat table_format(const std::filesystem::path& file);

// The table as text.
// Markdown: a line saying what the times are (µs; the median of how many runs; where they
// were measured), then one row per value with two columns per module, the student's time
// and the reference's; a time not measured is "–".
// CSV (RFC 4180): the header "module,<the timed parameter>,student_us,reference_us,runs", then one row per
// module and value; a time not measured is an empty field; `runs` is the number of the
// student's loads whose median student_us is.
std::string timing_table(const Report& report, const std::vector<unsigned>& values, TableFormat format);

} // namespace kmgrade::report
