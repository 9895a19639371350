#include "batch/class_summary.h"

#include "batch/progress_board.h"
#include "similarity/class_similarity.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace kmgrade::batch {

namespace {

void print_failed(std::ostream& out, const std::vector<report::FailedStudent>& failed)
{
  out << "grading failed for:" << (failed.empty() ? " nobody" : "") << "\n";
  for (const auto& f : failed) {
    out << "  " << f.id << " (" << f.full_name << "): " << f.why << "\n";
  }
}

// The option of Moodle's upload form (assignfeedback_offline's ignoremodified) that keeps it
// from skipping rows Moodle graded after the worksheet's "Last modified (grade)".
constexpr const char* k_ignore_modified = "\"Allow updating records that have been modified more recently in Moodle "
                                          "than in the spreadsheet.\"";

} // namespace

std::string regrade_text(const report::WorksheetRegrade& regrade)
{
  const auto n = regrade.filled;
  std::string text = fmt::format("kmgrade filled {} row{} of moodle-grades.csv", n, n == 1 ? "" : "s");
  if (regrade.already_graded == 0) {
    return text + fmt::format(", none of them graded in Moodle yet: Moodle's upload preview should show {} \"Set "
                              "grade for\" line{}\n",
                              n, n == 1 ? "" : "s");
  }
  const auto graded = regrade.already_graded;
  return text +
         fmt::format(
           "; Moodle had graded {0} of them already. Moodle skips such a row whole (grade and feedback), without "
           "an error, when it reads its \"Last modified (grade)\" as older than the grade's last change in Moodle, "
           "which it does for every such row when the worksheet was downloaded in a time zone west of the "
           "server's. To regrade them, tick {2} when you upload, and check that the upload preview lists each of "
           "the {1} students kmgrade filled (\"Set grade for\", or \"Set field\" when only the feedback "
           "changed; one whose grade and feedback Moodle has already is not listed)\n",
           graded, n, k_ignore_modified);
}

void print_class_summary(const BatchOptions& options, const std::string& headline, const MergeResult& merged)
{
  const auto& files = merged.files;
  const auto& reports = files.reports;
  if (!options.summary) {
    return;
  }
  auto& out = *options.summary;
  out << "\n" << headline << "\n";
  if (!reports.empty()) {
    const double auto_max = reports.front().at("auto_max").get<double>();
    const int bins = 5;
    std::vector<int> histogram(bins, 0);
    std::map<std::string, int> failed_checks;
    for (const auto& r : reports) {
      const double share = auto_max > 0 ? r.at("score").get<double>() / auto_max : 0;
      histogram[std::min(bins - 1, static_cast<int>(share * bins))]++;
      for (const auto& ex : r.at("exercises")) {
        for (const auto& c : ex.at("checks")) {
          const auto status = c.at("status").get<std::string>();
          if (status != "pass" && status != "manual") {
            failed_checks[c.at("id").get<std::string>()]++;
          }
        }
      }
    }
    out << fmt::format("automatic score (of {}):\n", auto_max);
    for (int b = 0; b < bins; ++b) {
      out << fmt::format("  {:>5.2f} - {:<5.2f} {:>3} {}\n", auto_max * b / bins, auto_max * (b + 1) / bins,
                         histogram[b], std::string(static_cast<std::size_t>(histogram[b]), '#'));
    }
    std::vector<std::pair<int, std::string>> worst;
    for (const auto& [id, n] : failed_checks) {
      worst.emplace_back(-n, id);
    }
    std::sort(worst.begin(), worst.end());
    out << "most-failed checks:";
    if (worst.empty()) {
      out << " none";
    }
    out << "\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(5, worst.size()); ++i) {
      out << fmt::format("  {:<28} {} of {} students\n", worst[i].second, -worst[i].first, reports.size());
    }
  }
  if (merged.similarity) {
    const auto text = similarity::summary_text(*merged.similarity);
    out << (text.empty() ? fmt::format("similar submissions: none at {}% or more (similarity.csv has every pair)\n",
                                       merged.similarity->threshold)
                         : text);
  } else if (!merged.similarity_error.empty()) {
    out << "similarity: not compared: " << merged.similarity_error << "\n";
  }
  print_failed(out, merged.failed);
  out << fmt::format("wrote {0}/reports/, {0}/summary.csv and {0}/moodle-grades.csv\n", options.out_dir.string());
  out << fmt::format(
    "open {}/index.html: the class at a glance (score distribution, most-failed checks, a page per student), in any browser, offline\n",
    options.out_dir.string());
  if (!options.worksheet.empty()) {
    out << fmt::format("moodle-grades.csv is your worksheet {} with grades out of its maximum grade {}",
                       options.worksheet.string(), files.worksheet_maximum);
    if (!files.worksheet_unfilled.empty()) {
      const auto n = files.worksheet_unfilled.size();
      out << fmt::format("; {} participant{} without a report keep{} the row as it was", n, n == 1 ? "" : "s",
                         n == 1 ? "s" : "");
    }
    out << ". Upload it in the assignment: View all submissions > Grading action > Upload grading worksheet\n";
    out << regrade_text(files.worksheet_regrade);
  } else {
    out << fmt::format(
      "moodle-grades.csv gives grades out of {0}: Moodle reads them against the assignment's own maximum grade (100 unless changed), so set it to {0} first (Edit settings > Grade > Maximum grade), or pass --worksheet with the worksheet downloaded from the assignment to have grades scaled to its maximum\n",
      files.worksheet_maximum);
    out << fmt::format(
      "moodle-grades.csv has {0} row{1}, one for each student with a report; if Moodle already has grades for "
      "some of them, tick {2} when you upload, or Moodle may skip their rows without an error\n",
      files.worksheet_regrade.filled, files.worksheet_regrade.filled == 1 ? "" : "s", k_ignore_modified);
  }
}

void print_shard_summary(const BatchOptions& options, const ShardResult& result)
{
  if (!options.summary) {
    return;
  }
  auto& out = *options.summary;
  out << fmt::format("\nshard {}: {} of the class's {} students: {} graded now, {} unchanged since the last run, {} "
                     "failed ({})\n",
                     to_string(options.shard), result.students, result.class_size, result.graded, result.unchanged,
                     result.failed.size(), format_duration(result.seconds));
  print_failed(out, result.failed);
  out << fmt::format("wrote {0}/reports/ and {0}/shard.json\n", options.out_dir.string());
  out << "once every shard is graded, write the class files with: kmgrade merge --out DIR SHARD_FOLDER... (the "
         "--out of every shard)\n";
}

} // namespace kmgrade::batch
