#pragma once

#include "batch/options.h"
#include "report/class_page.h"
#include "report/moodle_worksheet.h"
#include "similarity/class_similarity.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kmgrade::batch {

// What write_class_files wrote that the class summary tells.
struct ClassFiles
{
  std::vector<nlohmann::json> reports; // of the students with a report
  // moodle-grades.csv: the TA's worksheet filled in, or one of kmgrade's own (grades out of
  // the rubric's maximum).
  std::string worksheet_maximum;               // the maximum the grades in it are out of, as written there
  std::vector<std::string> worksheet_unfilled; // participants of the TA's worksheet left as they were
  // The rows given a grade, and how many of the TA's worksheet Moodle had graded already.
  report::WorksheetRegrade worksheet_regrade;
};

// Fails early, with a clear message, when the outputs cannot be written at all: throws Error
// when `out_dir` (created with its reports/ folder) cannot be written or its disk has less
// than 256 MiB free, room for a class's unpacked submissions and one scratch folder per job.
void check_out_dir(const std::filesystem::path& out_dir);

// The TA's worksheet (options.worksheet), read to be checked against the class before any
// grading starts; nullopt when none is given. Throws Error when the file does not exist (saying
// where Moodle offers it) or is not a worksheet (see report::parse_worksheet).
std::optional<report::Worksheet> read_worksheet(const BatchOptions& options);

// From the reports in out_dir/reports of `students`: summary.csv, moodle-grades.csv (Moodle's
// offline grading worksheet: the TA's filled in when given, else one of kmgrade's own), the
// class page index.html with a page per student in students/ (see report::class_page) and,
// when asked, Gradescope results, each file written atomically. Manual points, when given, are
// added to the totals and the feedback; the automatic points never change. A student without a
// report is on the class page with the reason `failed` gives (or "no report" when it names them
// not); `similarity` is the class comparison to show, nullptr when there was none. Throws Error
// when the manual points or the worksheet cannot be read, the rubric cannot be loaded, or a
// file cannot be written; nlohmann::json::parse_error when a report is not JSON.
ClassFiles write_class_files(const BatchOptions& options, const std::vector<report::ClassMember>& students,
                             const std::vector<report::FailedStudent>& failed,
                             const similarity::ClassSimilarity* similarity);

} // namespace kmgrade::batch
