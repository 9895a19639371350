// The class page of a batch and each student's page: what a TA reads, and that nothing a
// student wrote can break or script it.

#include "report/class_page.h"
#include "score/rubric.h"

#include <gtest/gtest.h>

#include <regex>

using namespace kmgrade;

namespace {

nlohmann::json check(const std::string& id, const std::string& status, double points, double max,
                     const std::string& message = "fine", std::vector<std::string> evidence = {})
{
  return {{"id", id},          {"status", status},   {"points", points},
          {"max_points", max}, {"message", message}, {"evidence", evidence}};
}

// A report as the contract has it, with two exercises: ex0 (manual) and ex3 (page_alloc).
nlohmann::json student_report(const std::string& id, const std::string& name, double order, double free_points,
                              const std::string& order_message = "order 3 for objnum 1000")
{
  const double score = order + free_points;
  return {{"schema", "kmgrade.report/1"},
          {"student", {{"id", id}, {"full_name", name}}},
          {"grader", {{"version", "0.1.0"}}},
          {"submission", {{"path", "class.zip/" + name}, {"files", {{"page_alloc.c", "lab5/page_alloc.c"}}}}},
          {"environment", {{"kernel", "6.1.0-56-amd64"}, {"accel", "tcg"}}},
          {"score", score},
          {"max_score", 8.0},
          {"auto_max", 0.75},
          {"manual_pending", 0.5},
          {"exercises",
           {{{"id", "ex0"},
             {"title", "Team members"},
             {"score", 0.0},
             {"max_score", 0.5},
             {"checks", {check("manual.team-names", "manual", 0, 0.5, "names of the team members")}}},
            {{"id", "ex3"},
             {"title", "Page-level allocation"},
             {"score", score},
             {"max_score", 0.75},
             {"checks",
              {check("page_alloc.order", order < 0.5 ? "fail" : "pass", order, 0.5, order_message,
                     {"mm_page_alloc order=3 gfp=GFP_KERNEL"}),
               check("page_alloc.free", free_points < 0.25 ? "error" : "pass", free_points, 0.25,
                     free_points < 0.25 ? "the module did not load" : "fine")}}}}},
          {"measurements",
           {{{"module", "page_alloc"},
             {"params", {{"objnum", 1000}}},
             {"objnum", 1000},
             {"reported_ns", 412000},
             {"traced_ns", 398000},
             {"reference_ns", nullptr}}}},
          {"reference_times", {{"measured", "in this grade"}}},
          {"notes", {"a report PDF is in the submission: lab5/report.pdf"}},
          {"duration_s", 14.0}};
}

std::size_t count(const std::string& text, const std::string& what)
{
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

class ClassPage : public ::testing::Test
{
protected:
  ClassPage() : m_rubric(score::load_rubric(KMGRADE_RUBRIC)) {}

  std::string page(std::vector<nlohmann::json> reports, std::vector<report::FailedStudent> failed = {},
                   const similarity::ClassSimilarity* sim = nullptr)
  {
    report::ClassPageInput in;
    in.title = m_rubric.title;
    in.reports = std::move(reports);
    in.failed = std::move(failed);
    in.rubric = &m_rubric;
    in.similarity = sim;
    in.generated_at = "2026-11-28 04:00";
    return report::class_page(in);
  }

  score::Rubric m_rubric;
};

} // namespace

TEST_F(ClassPage, AHostileNameAndMessageAreShownAsTextNeverAsMarkup)
{
  const std::string name = "<script>alert(1)</script>";
  const std::string message = "</td></tr></table><img src=x onerror=alert(2)> & \"quoted\"\nnext line";
  const auto r = student_report("42\"><b>", name, 0, 0.25, message);
  const auto html = page({r});
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // The row keeps its cells: the message is in a title attribute, escaped.
  EXPECT_NE(html.find("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;"), std::string::npos);
  // The link to the student's page is a file name in students/, whatever the id holds.
  EXPECT_NE(html.find("href=\"students/42%22%3E%3Cb%3E.html\""), std::string::npos);
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
  EXPECT_EQ(count(html, "<tr"), count(html, "</tr>"));

  const auto student = report::student_page(r, {});
  EXPECT_EQ(student.find("<script"), std::string::npos);
  EXPECT_EQ(student.find("<img"), std::string::npos);
  EXPECT_NE(student.find("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(2)&gt; &amp; "
                         "&quot;quoted&quot;<br>next line"),
            std::string::npos);
  // Nothing runs in either page, whatever slips through.
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(student.find("default-src 'none'"), std::string::npos);
}

TEST_F(ClassPage, MostFailedChecksAreRankedByPointsLostThenStudents)
{
  // order (0.5) lost by one student, free (0.25) by two: 0.5 points each, more students first.
  // A third student loses order too: 1 point, first.
  const std::vector<nlohmann::json> reports = {student_report("1", "A", 0, 0), student_report("2", "B", 0.5, 0),
                                               student_report("3", "C", 0, 0.25), student_report("4", "D", 0.5, 0.25)};
  const auto costs = report::most_failed_checks(reports, m_rubric);
  ASSERT_EQ(costs.size(), 2u);
  EXPECT_EQ(costs[0].check, "page_alloc.order");
  EXPECT_EQ(costs[0].students, 2);
  EXPECT_DOUBLE_EQ(costs[0].points_lost, 1.0);
  EXPECT_EQ(costs[0].exercise, "ex3");
  EXPECT_EQ(costs[0].exercise_title, "Page-level allocation");
  EXPECT_EQ(costs[1].check, "page_alloc.free");
  EXPECT_EQ(costs[1].students, 2);
  EXPECT_DOUBLE_EQ(costs[1].points_lost, 0.5);

  // Equal points lost: more students first. Manual items never appear.
  const auto tie = report::most_failed_checks(
    {student_report("1", "A", 0, 0.25), student_report("2", "B", 0.5, 0), student_report("3", "C", 0.5, 0)}, m_rubric);
  ASSERT_EQ(tie.size(), 2u);
  EXPECT_EQ(tie[0].check, "page_alloc.free");
  EXPECT_EQ(tie[1].check, "page_alloc.order");

  const auto html = page(reports);
  const auto at_order = html.find("<code>page_alloc.order</code>");
  const auto at_free = html.find("<code>page_alloc.free</code>");
  ASSERT_NE(at_order, std::string::npos);
  ASSERT_NE(at_free, std::string::npos);
  EXPECT_LT(at_order, at_free);
  EXPECT_EQ(html.find("<code>manual.team-names</code>"), std::string::npos);
  EXPECT_TRUE(report::most_failed_checks({student_report("1", "A", 0.5, 0.25)}, m_rubric).empty());
}

TEST_F(ClassPage, HistogramBinsCoverZeroToTheMaximum)
{
  const auto bins = report::score_histogram({0, 0.4, 0.5, 6.25, 6.5, 7.99, 8, 9, -1}, 8, 0.5);
  ASSERT_EQ(bins.size(), 16u);
  EXPECT_DOUBLE_EQ(bins[0].from, 0);
  EXPECT_DOUBLE_EQ(bins[0].to, 0.5);
  EXPECT_DOUBLE_EQ(bins[15].from, 7.5);
  EXPECT_DOUBLE_EQ(bins[15].to, 8);
  EXPECT_EQ(bins[0].students, 3);  // 0, 0.4 and -1
  EXPECT_EQ(bins[1].students, 1);  // 0.5
  EXPECT_EQ(bins[12].students, 1); // 6.25
  EXPECT_EQ(bins[13].students, 1); // 6.5
  EXPECT_EQ(bins[15].students, 3); // 7.99, the maximum itself, and 9
  int all = 0;
  for (const auto& b : bins) {
    all += b.students;
  }
  EXPECT_EQ(all, 9);
  // A total that is a sum of eighths lands where it belongs despite rounding.
  EXPECT_EQ(report::score_histogram({0.1 + 0.2 + 0.2}, 8, 0.5)[1].students, 1);
  const auto whole = report::score_histogram({3, 11.5}, 12, 1);
  ASSERT_EQ(whole.size(), 12u);
  EXPECT_EQ(whole[3].students, 1);
  EXPECT_EQ(whole[11].students, 1);

  // The page draws one bar per bin, each with its count.
  const auto html = page({student_report("1", "A", 0.5, 0.25), student_report("2", "B", 0, 0)});
  EXPECT_EQ(count(html, "<rect class=\"bar\""), 16u);
  EXPECT_EQ(count(html, "data-students=\"1\""), 2u);
  EXPECT_EQ(count(html, "data-students=\"0\""), 14u);
}

TEST_F(ClassPage, AStudentsPageHoldsEveryCheckAndTheTimingTable)
{
  const auto r = student_report("7", "Ada Lovelace", 0, 0.25);
  const auto html = report::student_page(r, {{"7", "ex0", 0.5, "both names"}});
  for (const auto& ex : r.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      EXPECT_NE(html.find("<code>" + c.at("id").get<std::string>() + "</code>"), std::string::npos) << c.at("id");
    }
  }
  EXPECT_EQ(count(html, "<details class=\"check\""), 3u);
  EXPECT_NE(html.find("order 3 for objnum 1000"), std::string::npos);
  EXPECT_NE(html.find("mm_page_alloc order=3 gfp=GFP_KERNEL"), std::string::npos);
  EXPECT_NE(html.find("st-fail"), std::string::npos);
  EXPECT_NE(html.find("Points lost on: <a href=\"#page_alloc.order\"><code>page_alloc.order</code></a> (fail, -0.5)."),
            std::string::npos);
  EXPECT_NE(html.find("0.75 of 8 points"), std::string::npos); // 0.25 automatic + 0.5 by hand
  EXPECT_NE(html.find("+ 0.5 by hand (both names)"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">412.0 us</td><td class=\"num\">398.0 us</td><td class=\"num\">-</td>"),
            std::string::npos);
  EXPECT_NE(html.find("a report PDF is in the submission"), std::string::npos);
  EXPECT_NE(html.find("href=\"../index.html\""), std::string::npos);
  EXPECT_NE(html.find("href=\"../reports/7.json\""), std::string::npos);
}

TEST_F(ClassPage, AStudentWhoseGradingFailedIsListedWithWhy)
{
  const auto html = page({student_report("1", "Ada", 0.5, 0.25)},
                         {{"2", "Bob <b>", "the sandbox VM did not start: see failed/2/console.log", "failed/2"}});
  EXPECT_NE(html.find("1 graded, 1 without a report"), std::string::npos);
  const auto row = html.find("<tr class=\"failed\"><td>Bob &lt;b&gt;</td><td>2</td>");
  ASSERT_NE(row, std::string::npos);
  EXPECT_NE(html.find("grading failed:</strong> the sandbox VM did not start: see failed/2/console.log", row),
            std::string::npos);
  EXPECT_NE(html.find("<a href=\"failed/2/\">failed/2/</a>", row), std::string::npos);
  // Rows are by name: Ada's before Bob's.
  EXPECT_LT(html.find("students/1.html"), row);
}

TEST_F(ClassPage, SimilarityClustersLinkTheirViewsInsideTheFolder)
{
  similarity::ClassSimilarity sim;
  sim.threshold = 80;
  sim.pairs = {{"page_alloc", "1", "2", 93, true, "similarity/page_alloc/1--2.html"},
               {"page_alloc", "1", "3", 20, false, ""},
               {"kmem_alloc", "1", "2", 85, true, "../../etc/passwd"}};
  sim.clusters = {{"page_alloc", {"1", "2"}, 93}, {"kmem_alloc", {"1", "2"}, 85}};
  const auto html = page({student_report("1", "Ada", 0.5, 0.25), student_report("2", "Bob", 0, 0)}, {}, &sim);
  EXPECT_NE(html.find("<a class=\"view\" href=\"similarity/page_alloc/1--2.html\">"), std::string::npos);
  EXPECT_EQ(html.find("etc/passwd\""), std::string::npos); // a view outside the folder is not linked
  EXPECT_EQ(count(html, "class=\"view\""), 1u);
  EXPECT_NE(html.find("flagged at 80%"), std::string::npos);

  EXPECT_NE(page({student_report("1", "Ada", 0.5, 0.25)}).find("were not compared"), std::string::npos);
}
