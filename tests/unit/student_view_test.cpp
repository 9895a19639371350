// What a student reads from `kmgrade check`, and its exit status.

#include "report/student_view.h"

#include <gtest/gtest.h>

using namespace kmgrade;
using evaluate::Status;

namespace {

score::CheckScore check(const std::string& id, Status status, const std::string& message = "fine",
                        std::vector<std::string> evidence = {})
{
  score::CheckScore c;
  c.id = id;
  c.verdict.status = status;
  c.verdict.message = message;
  c.verdict.evidence = std::move(evidence);
  return c;
}

report::Report sample()
{
  report::Report r;
  r.submission_path = "lab5";
  r.kernel = "6.1.0-56-amd64";
  r.accel = "tcg";
  r.files = {{"page_alloc.c", "page_alloc.c"}, {"kmem_alloc.c", "src/kmem_alloc.c"}};
  score::ExerciseScore ex;
  ex.checks = {check("page_alloc.build", Status::pass),
               check("page_alloc.order", Status::fail, "objnum 100: order 3, expected 0", {"mm_page_alloc order=3"}),
               check("kmem_alloc.build", Status::pass),
               check("kmem_alloc.loop", Status::pass),
               check("cache_alloc.build", Status::not_run, "cache_alloc.c is missing"),
               check("manual.team-names", Status::manual, "names")};
  r.score.exercises = {ex};
  return r;
}

const std::vector<report::StudentModule> k_lab = {
  {"page_alloc", "page_alloc.c", true}, {"kmem_alloc", "kmem_alloc.c", true}, {"cache_alloc", "cache_alloc.c", true}};

} // namespace

TEST(StudentView, SaysPerModuleWhatPassesWhatToFixAndWhatIsNotWrittenYet)
{
  const std::string text = report::student_view(sample(), k_lab, {});
  EXPECT_NE(text.find("page_alloc.c    1 of 2 checks pass\n  order fails: objnum 100: order 3, expected 0\n"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("kmem_alloc.c    all 2 checks pass\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cache_alloc.c   not written yet\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("mm_page_alloc order=3"), std::string::npos) << "evidence only with --verbose";
  EXPECT_EQ(text.find("names"), std::string::npos) << "what a person grades is not a student's check";
  EXPECT_NE(text.find("1 check to fix"), std::string::npos) << text;
  EXPECT_EQ(text.find("\033["), std::string::npos) << "no colour unless asked";
  EXPECT_FALSE(report::all_checks_pass(sample(), k_lab));
}

TEST(StudentView, VerboseShowsTheEvidenceAndColourIsOnlyWhenAsked)
{
  const std::string text = report::student_view(sample(), k_lab, {true, true});
  EXPECT_NE(text.find("      | mm_page_alloc order=3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\033[31m"), std::string::npos) << text;
}

TEST(StudentView, ModulesLeftOutAreNotCheckedAndDoNotFailTheExitStatus)
{
  auto lab = k_lab;
  lab[0].checked = false;
  const std::string text = report::student_view(sample(), lab, {});
  EXPECT_NE(text.find("page_alloc.c    not checked this time (--module)\n"), std::string::npos) << text;
  EXPECT_TRUE(report::all_checks_pass(sample(), lab));
  EXPECT_NE(text.find("Every check kmgrade can run on what is written passes."), std::string::npos) << text;
}

TEST(StudentView, ACheckThatCouldNotRunIsNotAPass)
{
  auto r = sample();
  r.files["cache_alloc.c"] = "cache_alloc.c";
  auto lab = k_lab;
  lab[0].checked = false;
  EXPECT_FALSE(report::all_checks_pass(r, lab));
  EXPECT_NE(report::student_view(r, lab, {}).find("  build could not run: cache_alloc.c is missing\n"),
            std::string::npos);
}
