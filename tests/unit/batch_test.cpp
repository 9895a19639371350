// A class batch's bookkeeping without the sandbox VM: which reports are reused, and a
// student whose grading throws something other than Error.

#include "batch/batch.h"
#include "batch/class_summary.h"
#include "batch/resume.h"
#include "report/report.h"
#include "score/score.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <functional>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

pipeline::GradeOptions grade_options(const fs::path& cache)
{
  pipeline::GradeOptions o;
  o.rubric = KMGRADE_RUBRIC;
  o.agent = KMGRADE_AGENT;
  o.cache_dir = cache;
  return o;
}

batch::ResumeKey some_key()
{
  return {"0.1.0", "rubric", "submission", {"build", "reference", "kernel"}};
}

// A report as `kmgrade grade` writes it, with `key` in it and every automatic check failed.
nlohmann::json report_with(const batch::ResumeKey& key, const score::Rubric& rubric)
{
  report::Report rep;
  rep.grader_version = key.grader_version;
  rep.rubric_id = rubric.id;
  rep.rubric_sha256 = key.rubric_sha256;
  rep.submission_sha256 = key.submission_sha256;
  rep.build_sha256 = key.identity.build_sha256;
  rep.reference_sha256 = key.identity.reference_sha256;
  rep.kernel_sha256 = key.identity.kernel_sha256;
  std::map<std::string, evaluate::Verdict> verdicts;
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      verdicts[c.id] = {evaluate::Status::fail, "not graded in this test", {}, false, {}};
    }
  }
  rep.score = score::apply_rubric(rubric, verdicts);
  return report::to_json(rep);
}

} // namespace

TEST(Batch, AReportIsReusedOnlyWhenEveryPartOfItsKeyIsCurrent)
{
  const auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  const auto key = some_key();
  const auto j = report_with(key, rubric);
  ASSERT_EQ(batch::resume_key(j), key);

  using Change = std::function<void(batch::ResumeKey&)>;
  const std::vector<std::pair<std::string, Change>> changes = {
    {"grader version", [](auto& k) { k.grader_version = "0.1.1"; }},
    {"rubric", [](auto& k) { k.rubric_sha256 = "other"; }},
    {"submission", [](auto& k) { k.submission_sha256 = "other"; }},
    {"grader build", [](auto& k) { k.identity.build_sha256 = "other"; }},
    {"reference solution", [](auto& k) { k.identity.reference_sha256 = "other"; }},
    {"sandbox kernel", [](auto& k) { k.identity.kernel_sha256 = "other"; }},
  };
  for (const auto& [what, change] : changes) {
    auto other = key;
    change(other);
    EXPECT_NE(batch::resume_key(j), other) << "a new " << what << " reused the report";
    EXPECT_EQ(batch::resume_key(report_with(other, rubric)), other) << what << " is not recorded in the report";
  }

  // A report of a kmgrade that did not record its build: graded again.
  auto old = j;
  old["grader"].erase("build_sha256");
  EXPECT_EQ(batch::resume_key(old), std::nullopt);
  EXPECT_EQ(batch::resume_key(nlohmann::json::parse("[1, 2]")), std::nullopt);
}

TEST(Batch, AnyFailureOfOneStudentIsThatStudentsAloneAndRegradeGradesEveryone)
{
  const fs::path dir = fs::temp_directory_path() / ("kmgrade-batch-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  // Students whose folder names, 250 bytes, leave no room for their scratch folder
  // "grade-<id>": creating it throws std::filesystem::filesystem_error, not Error. So nothing
  // here boots the sandbox VM.
  const std::string ada = std::string(249, 'a') + "1";
  const std::string bob = std::string(249, 'b') + "2";
  for (const auto& id : {ada, bob}) {
    fs::create_directories(dir / "class" / id);
    std::ofstream(dir / "class" / id / "page_alloc.c") << "int x;\n";
  }
  batch::BatchOptions options;
  options.input = dir / "class";
  options.out_dir = dir / "out";
  options.grade = grade_options(dir / "cache");

  // Ada's report is current.
  const auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  batch::ResumeKey current{
    KMGRADE_VERSION, rubric.sha256,
    intake::open_submission(dir / "class" / ada, pipeline::wanted_files(rubric), dir / "hash-scratch").sha256,
    pipeline::grader_identity(options.grade, rubric, run::find_sandbox_kernel())};
  auto j = report_with(current, rubric);
  j["student"] = {{"id", ada}, {"full_name", ada}};
  util::write_file_atomically(dir / "out" / "reports" / (ada + ".json"), report::to_json_text(j));

  const std::string why = ": an internal error of kmgrade (filesystem error: cannot create directories: File name "
                          "too long";
  const auto result = batch::run_batch(options);
  EXPECT_EQ(result.grading.students, 2u);
  EXPECT_EQ(result.grading.unchanged, 1u);
  EXPECT_EQ(result.grading.graded, 0u);
  const auto& failed = result.merged.failed;
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].id, bob);
  EXPECT_EQ(failed[0].full_name, bob);
  EXPECT_EQ(": " + failed[0].why.substr(0, why.size() - 2), why);
  // The class files are written, with the student who has a report.
  EXPECT_NE(util::read_file(dir / "out" / "summary.csv").find("\n" + ada + ","), std::string::npos);
  // The class page lists both: the one with a report links to their page, the other says why not.
  const auto page = util::read_file(dir / "out" / "index.html");
  EXPECT_NE(page.find("href=\"students/" + ada + ".html\""), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "out" / "students" / (ada + ".html")));
  EXPECT_NE(page.find("<tr class=\"failed\"><td>" + bob + "</td>"), std::string::npos);
  // The batch is its own shard 1/1, merged in place: its record names both students and the
  // failure, and it keeps the files the comparison of the class reads.
  const auto record = batch::read_shard_record(dir / "out");
  EXPECT_EQ(record.shard, (batch::Shard{1, 1}));
  EXPECT_EQ(record.ids, (std::vector<std::string>{ada, bob}));
  EXPECT_EQ(record.roster_sha256, batch::roster_sha256({ada, bob}));
  ASSERT_EQ(record.failed.size(), 1u);
  EXPECT_EQ(record.failed[0].id, bob);
  EXPECT_EQ(record.lab_id, "lab5");
  EXPECT_EQ(record.build_sha256, current.identity.build_sha256);
  EXPECT_EQ(record.accel, "");
  EXPECT_EQ(util::read_file(dir / "out" / "sources" / bob / "page_alloc.c"), "int x;\n");

  options.regrade = true;
  const auto again = batch::run_batch(options);
  EXPECT_EQ(again.grading.unchanged, 0u);
  const auto& both = again.merged.failed;
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].id, ada);
  EXPECT_EQ(": " + both[0].why.substr(0, why.size() - 2), why);
  EXPECT_EQ(both[1].id, bob);
  EXPECT_EQ(": " + both[1].why.substr(0, why.size() - 2), why);
  fs::remove_all(dir);
}

TEST(Batch, TheSummaryCountsTheWorksheetsRowsAndWarnsOfARegradeMoodleMaySkip)
{
  EXPECT_EQ(batch::regrade_text({1, 0}),
            "kmgrade filled 1 row of moodle-grades.csv, none of them graded in Moodle yet: "
            "Moodle's upload preview should show 1 \"Set grade for\" line\n");
  const auto text = batch::regrade_text({9, 2});
  EXPECT_EQ(text.rfind("kmgrade filled 9 rows of moodle-grades.csv; Moodle had graded 2 of them already. ", 0), 0u)
    << text;
  // The label of the option on Moodle's upload form, as Moodle writes it (assignfeedback_offline's
  // ignoremodified string), so the TA finds it.
  EXPECT_NE(text.find("tick \"Allow updating records that have been modified more recently in Moodle than in the "
                      "spreadsheet.\" when you upload"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("lists each of the 9 students kmgrade filled"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}
