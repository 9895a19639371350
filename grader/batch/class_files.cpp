#include "batch/class_files.h"

#include "batch/resume.h"
#include "report/exports.h"
#include "score/rubric.h"
#include "util/error.h"
#include "util/files.h"

#include <algorithm>
#include <ctime>

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {

std::string now_for_moodle()
{
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%A, %d %B %Y, %I:%M %p", &tm);
  return buf;
}

// The class page last, so its links find the students' pages.
void write_class_page(const BatchOptions& options, const std::vector<nlohmann::json>& reports,
                      std::vector<report::FailedStudent> failed, const std::vector<report::ManualPoints>& manual,
                      const similarity::ClassSimilarity* similarity)
{
  const auto rubric = score::load_rubric(options.grade.rubric);
  for (auto& f : failed) {
    std::error_code ec;
    f.kept = fs::is_directory(options.out_dir / "failed" / f.id, ec) ? "failed/" + f.id : "";
  }
  for (const auto& r : reports) {
    util::write_file_atomically(options.out_dir / "students" /
                                  report::student_page_name(r.at("student").at("id").get<std::string>()),
                                report::student_page(r, manual));
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  report::ClassPageInput page;
  page.title = rubric.title;
  page.reports = reports;
  page.failed = std::move(failed);
  page.manual = manual;
  page.rubric = &rubric;
  page.similarity = similarity;
  page.generated_at = when;
  util::write_file_atomically(options.out_dir / "index.html", report::class_page(page));
}

} // namespace

void check_out_dir(const fs::path& out_dir)
{
  std::error_code ec;
  fs::create_directories(out_dir / "reports", ec);
  if (ec) {
    throw Error("cannot write the output folder " + out_dir.string() + ": " + ec.message());
  }
  util::write_file_atomically(out_dir / "reports" / ".kmgrade-write-test", "ok");
  fs::remove(out_dir / "reports" / ".kmgrade-write-test", ec);
  util::require_free_space(out_dir, 256ULL << 20, "the output folder");
}

std::optional<report::Worksheet> read_worksheet(const BatchOptions& options)
{
  if (options.worksheet.empty()) {
    return std::nullopt;
  }
  if (!fs::is_regular_file(options.worksheet)) {
    throw Error(
      "the grading worksheet " + options.worksheet.string() +
      " does not exist: download it from the assignment (View all submissions > Grading action > Download grading worksheet)");
  }
  return report::parse_worksheet(util::read_file(options.worksheet), options.worksheet.string());
}

ClassFiles write_class_files(const BatchOptions& options, const std::vector<report::ClassMember>& students,
                             const std::vector<report::FailedStudent>& failed,
                             const similarity::ClassSimilarity* similarity)
{
  std::vector<report::ManualPoints> manual;
  if (!options.manual_points.empty()) {
    if (!fs::exists(options.manual_points)) {
      throw Error("the manual points file " + options.manual_points.string() + " does not exist");
    }
    manual = report::parse_manual_points(util::read_file(options.manual_points), options.manual_points.string());
  }
  const auto worksheet = read_worksheet(options);
  ClassFiles files;
  auto& reports = files.reports;
  std::vector<report::FailedStudent> without_report;
  for (const auto& s : students) {
    const auto path = report_path(options.out_dir, s.id);
    if (fs::exists(path)) {
      reports.push_back(nlohmann::json::parse(util::read_file(path)));
      continue;
    }
    auto it = std::find_if(failed.begin(), failed.end(), [&](const auto& f) { return f.id == s.id; });
    without_report.push_back(it != failed.end() ? *it : report::FailedStudent{s.id, s.full_name, "no report", ""});
  }
  util::write_file_atomically(options.out_dir / "summary.csv", report::summary_csv(reports, manual));
  if (worksheet) {
    auto filled = report::fill_worksheet(*worksheet, reports, manual);
    util::write_file_atomically(options.out_dir / "moodle-grades.csv", filled.csv);
    files.worksheet_maximum = filled.maximum;
    files.worksheet_unfilled = filled.unfilled;
    files.worksheet_regrade = report::worksheet_regrade(*worksheet, filled);
  } else {
    util::write_file_atomically(options.out_dir / "moodle-grades.csv",
                                report::moodle_worksheet(reports, manual, now_for_moodle()));
    files.worksheet_maximum = report::format_points(score::load_rubric(options.grade.rubric).max_score);
    files.worksheet_regrade.filled = reports.size();
  }
  write_class_page(options, reports, std::move(without_report), manual, similarity);
  if (!options.gradescope_dir.empty()) {
    for (const auto& r : reports) {
      util::write_file_atomically(options.gradescope_dir / r.at("student").at("id").get<std::string>() / "results.json",
                                  report::to_json_text(report::gradescope_results(r, manual)));
    }
  }
  return files;
}

} // namespace kmgrade::batch
