#pragma once

#include "pipeline/grade.h"
#include "report/class_page.h"
#include "report/moodle_worksheet.h"
#include "similarity/similarity.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kmgrade::batch {

struct BatchOptions
{
  std::filesystem::path input;   // Moodle's class zip, or a folder of student folders
  std::filesystem::path out_dir; // reports/, summary.csv, moodle-grades.csv
  int jobs = 1;                  // students graded at once
  pipeline::GradeOptions grade;  // everything but the submission and the progress
  std::filesystem::path manual_points;  // optional CSV: participant_id,exercise,points,comment
  std::filesystem::path gradescope_dir; // optional: <dir>/<id>/results.json
  std::filesystem::path worksheet;      // optional: Moodle's grading worksheet to fill in
  bool regrade = false;                 // grade every student, even one whose report is current
  bool similarity = true;               // compare the students' files (needs sim_c)
  std::filesystem::path corpus;         // optional: earlier solutions to compare with too
  std::vector<std::filesystem::path> base_files; // code every student was given: no match
  std::optional<int> similarity_threshold;       // percent; unset: the rubric's
  std::optional<int> similarity_min_run;         // sim_c's minimum run in tokens; unset: the rubric's
  bool live_progress = false;           // redraw one status line (a terminal)
  std::ostream* log = nullptr;          // progress lines
  std::ostream* summary = nullptr;      // the class summary at the end
  // Once true (a signal handler sets it), running grades are stopped, no other starts, and
  // the batch returns without writing the class files: a rerun resumes.
  const std::atomic<bool>* stop = nullptr;
};

struct BatchResult
{
  std::size_t students = 0;
  std::size_t graded = 0;   // graded by this run
  std::size_t unchanged = 0; // skipped: their report's resume key is the current one
  std::vector<report::FailedStudent> failed; // students without a report, with why
  bool stopped = false;             // options.stop ended it early
  std::optional<similarity::ClassSimilarity> similarity; // unset: not compared, or it failed
  std::string similarity_error;                          // why the comparison failed
};

// What a report was graded from. A report is reused only when every part is the current one.
struct ResumeKey
{
  std::string grader_version;
  std::string rubric_sha256;
  std::string submission_sha256;
  pipeline::GraderIdentity identity;

  bool operator==(const ResumeKey&) const = default;
};

// The key a report records; nullopt when it lacks a part (a report of an older kmgrade, or
// not a report): such a report is graded again.
std::optional<ResumeKey> resume_key(const nlohmann::json& report);

// Grades every student of the class, `jobs` at a time, each in its own scratch folder and
// VM. Each report is written to out_dir/reports/<id>.json (write, then rename) as soon as
// that student is done; a student whose report's resume key is the current one is not graded
// again (unless `regrade`), so an interrupted batch resumes. Any failure to grade one student,
// whatever its kind, is that student's: listed in `failed` with its reason, the others are
// graded. Then, unless turned off, compares the students' files (similarity::compare_class:
// similarity.csv, similarity.json, the side-by-side views; a failure there is reported, never
// a student's) and writes the class files (see write_class_files). Throws Error when the
// class cannot be read, out_dir cannot be written, the worksheet does not match the class, or
// similarity is asked for without sim_c, a corpus folder or a base file (all checked before
// any grading).
BatchResult run_batch(const BatchOptions& options);

// Only the similarity part of a batch, without grading: the class split as run_batch does
// it, each student's files found, compared (similarity::compare_class) into options.out_dir,
// and its summary lines printed to options.summary. Throws Error when the class cannot be
// read, sim_c is missing or the comparison fails.
similarity::ClassSimilarity compare_only(const BatchOptions& options);

struct ClassFiles
{
  std::vector<nlohmann::json> reports; // of the students with a report
  // moodle-grades.csv: the TA's worksheet filled in, or one of kmgrade's own (grades out of
  // the rubric's maximum).
  std::string worksheet_maximum; // the maximum the grades in it are out of, as written there
  std::vector<std::string> worksheet_unfilled; // participants of the TA's worksheet left as they were
};

// From the reports in out_dir/reports of `students`: summary.csv, moodle-grades.csv (Moodle's
// offline grading worksheet: the TA's filled in when given, else one of kmgrade's own), the
// class page index.html with a page per student in students/ (see report::class_page) and,
// when asked, Gradescope results. Manual points, when given, are added to the totals and the
// feedback; the automatic points never change. A student without a report is on the class
// page with the reason `failed` gives (or "no report" when it names them not); `similarity`
// is the class comparison to show, nullptr when there was none.
ClassFiles write_class_files(const BatchOptions& options, const std::vector<report::ClassMember>& students,
                             const std::vector<report::FailedStudent>& failed,
                             const similarity::ClassSimilarity* similarity);

} // namespace kmgrade::batch
