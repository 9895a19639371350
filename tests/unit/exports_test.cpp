#include "intake/moodle.h"
#include "report/exports.h"
#include "report/report.h"
#include "util/error.h"

#include <gtest/gtest.h>

using namespace kmgrade;

namespace {

// A report as the contract has it, cut down to what the class files read.
nlohmann::json student_report(const std::string& id, const std::string& name, double ex3_score)
{
  return {{"student", {{"id", id}, {"full_name", name}}},
          {"score", ex3_score},
          {"max_score", 8.0},
          {"auto_max", 1.5},
          {"duration_s", 40.0},
          {"exercises",
           {{{"id", "ex0"},
             {"title", "Team members"},
             {"score", 0.0},
             {"max_score", 0.5},
             {"checks",
              {{{"id", "manual.team-names"},
                {"status", "manual"},
                {"points", 0.0},
                {"max_points", 0.5},
                {"message", "m"},
                {"evidence", nlohmann::json::array()}}}}},
            {{"id", "ex3"},
             {"title", "Page-level allocation"},
             {"score", ex3_score},
             {"max_score", 1.5},
             {"checks",
              {{{"id", "page_alloc.order"},
                {"status", ex3_score < 1.5 ? "fail" : "pass"},
                {"points", ex3_score},
                {"max_points", 1.5},
                {"message", "objnum 100: alloc_pages order 3, expected 0"},
                {"evidence", {"mm_page_alloc order=3"}}}}}}}}};
}

} // namespace

TEST(Exports, WorksheetHasMoodlesColumnsAndAddsManualPoints)
{
  std::vector<report::ManualPoints> manual = {{"7", "ex0", 0.5, "names listed"}, {"7", "ex0", 0.5, "twice"}};
  auto csv = report::moodle_worksheet({student_report("7", "Ada, Countess", 1.0), student_report("8", "Alan", 1.5)},
                                      manual, "Wednesday, 25 November 2026, 12:00 PM");
  auto rows = report::parse_csv(csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"Identifier", "Full name", "Grade", "Maximum Grade",
                                               "Last modified (grade)", "Feedback comments"}));
  // Manual points are capped at the exercise's manual maximum (0.5).
  EXPECT_EQ(rows[1][0], "Participant 7");
  EXPECT_EQ(rows[1][1], "Ada, Countess");
  EXPECT_EQ(rows[1][2], "1.5");
  EXPECT_EQ(rows[1][3], "8");
  EXPECT_EQ(rows[1][5], "<p><strong>1.5 of 8 points</strong> (graded by kmgrade)</p><ul>"
                        "<li>ex0 Team members: 0 + 0.5 graded by hand (names listed; twice) / 0.5</li>"
                        "<li>ex3 Page-level allocation: 1 / 1.5<ul><li><strong>page_alloc.order</strong> (fail): "
                        "objnum 100: alloc_pages order 3, expected 0</li></ul></li></ul>");
  EXPECT_EQ(rows[2][2], "1.5");
  EXPECT_EQ(rows[2][5], "<p><strong>1.5 of 8 points</strong> (graded by kmgrade)</p><ul>"
                        "<li>ex0 Team members: 0 + manual part pending / 0.5</li>"
                        "<li>ex3 Page-level allocation: 1.5 / 1.5</li></ul>");
}

TEST(Exports, SummaryKeepsAutomaticAndManualApart)
{
  auto rows = report::parse_csv(report::summary_csv({student_report("7", "Ada", 1.0)}, {{"7", "ex0", 0.25, ""}}));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"participant_id", "full_name", "ex0", "ex3", "automatic", "manual",
                                               "total", "max_score"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"7", "Ada", "0.25", "1", "1", "0.25", "1.25", "8"}));
}

TEST(Exports, GradescopeResults)
{
  auto j = report::gradescope_results(student_report("7", "Ada", 1.0), {});
  EXPECT_DOUBLE_EQ(j.at("score").get<double>(), 1.0);
  ASSERT_EQ(j.at("tests").size(), 1u);
  const auto& t = j.at("tests")[0];
  EXPECT_EQ(t.at("name"), "page_alloc.order");
  EXPECT_EQ(t.at("status"), "failed");
  EXPECT_DOUBLE_EQ(t.at("max_score").get<double>(), 1.5);
  EXPECT_EQ(t.at("output"), "objnum 100: alloc_pages order 3, expected 0\n  mm_page_alloc order=3");
  // Gradescope shows the output as text: no HTML there.
  EXPECT_EQ(j.at("output"), "ex0 Team members: 0 + manual part pending / 0.5\nex3 Page-level allocation: 1 / 1.5\n"
                            "  - page_alloc.order (fail): objnum 100: alloc_pages order 3, expected 0");
}

TEST(Exports, ManualPointsFileErrorsNameTheLine)
{
  EXPECT_THROW(report::parse_manual_points("id,ex,points\n", "m.csv"), Error);
  try {
    report::parse_manual_points("participant_id,exercise,points,comment\n7,ex0,half,\n", "m.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the manual points file m.csv, line 2: points 'half' is not a number");
  }
  auto m =
    report::parse_manual_points("participant_id,exercise,points,comment\r\n7,ex6,0.5,\"good, clear\"\r\n", "m.csv");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].comment, "good, clear");
  EXPECT_DOUBLE_EQ(m[0].points, 0.5);
  for (const std::string points : {"nan", "inf", "1e400", "0.5x"}) {
    try {
      report::parse_manual_points("participant_id,exercise,points,comment\n7,ex0," + points + ",\n", "m.csv");
      FAIL() << points;
    } catch (const Error& e) {
      EXPECT_EQ(e.what(), "the manual points file m.csv, line 2: points '" + points + "' is not a number");
    }
  }
  m = report::parse_manual_points("participant_id,exercise,points,comment\n7,ex0, 0.25 ,\n", "m.csv");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_DOUBLE_EQ(m[0].points, 0.25);
}

TEST(Exports, CsvRoundTripsQuotesCommasAndNewlines)
{
  std::vector<std::vector<std::string>> rows = {{"a", "b,c", "say \"hi\"", "two\nlines"}, {"", "x"}};
  EXPECT_EQ(report::parse_csv(report::to_csv(rows)), rows);
}

TEST(Moodle, FolderNames)
{
  intake::Student s;
  bool file = false;
  ASSERT_TRUE(intake::parse_moodle_folder("Ada Lovelace_101_assignsubmission_file_", s, file));
  EXPECT_EQ(s.id, "101");
  EXPECT_EQ(s.full_name, "Ada Lovelace");
  EXPECT_TRUE(file);
  ASSERT_TRUE(intake::parse_moodle_folder("Ada Lovelace_101_assignsubmission_onlinetext_", s, file));
  EXPECT_FALSE(file);
  ASSERT_TRUE(intake::parse_moodle_folder("Participant_42_assignsubmission_file_", s, file));
  EXPECT_EQ(s.full_name, "Participant 42");
  EXPECT_EQ(s.id, "42");
  EXPECT_FALSE(intake::parse_moodle_folder("lab5", s, file));
}

TEST(Exports, ANameThatIsNotUtf8DoesNotCostTheReport)
{
  report::Report r;
  r.notes.push_back("report for the manual part: rapport-\xe9.pdf");
  const std::string text = report::to_json_text(report::to_json(r));
  EXPECT_EQ(nlohmann::json::parse(text).at("notes").at(0), "report for the manual part: rapport-\xef\xbf\xbd.pdf");
}
