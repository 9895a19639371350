// The class page as a TA sees it: recorded reports of the sample class, a student whose
// grading failed and a hand-made similarity cluster are written out by write_class_files,
// then the page is opened in headless Chromium from the folder alone (file://, no server)
// and its DOM read back.
//
// Usage: e2e_class_page CHROMIUM REPORTS_DIR RUBRIC MANUAL_CSV

#include "batch/class_files.h"
#include "report/class_page.h"
#include "score/rubric.h"
#include "util/files.h"
#include "util/process.h"

#include "../unit/temp_folder.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

using namespace kmgrade;
namespace fs = std::filesystem;

namespace {

std::string g_chromium;
fs::path g_reports;
fs::path g_rubric;
fs::path g_manual;

std::size_t count(const std::string& text, const std::string& what)
{
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// file:// and the absolute path, every byte but the unreserved ones and '/' percent-encoded:
// the output folder's name holds a space, ':' and '%'.
std::string file_url(const fs::path& path)
{
  std::string url = "file://";
  for (unsigned char c : path.string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      url += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      url += hex;
    }
  }
  return url;
}

class ClassPageInBrowser : public TempFolderTest
{
protected:
  void TearDown() override
  {
    // KMGRADE_KEEP_PAGE=1 keeps the folder, to open the page by hand; a failure keeps it too.
    if (HasFailure() || std::getenv("KMGRADE_KEEP_PAGE")) {
      std::cerr << "kept for a look: " << m_dir << "\n";
      return;
    }
    TempFolderTest::TearDown();
  }

  // The DOM Chromium builds from the file, after it has loaded; its own messages go to a log
  // beside it, so stdout is the DOM alone.
  std::string dump_dom(const fs::path& file)
  {
    util::ProcessOptions options;
    options.timeout = std::chrono::seconds(120);
    auto r =
      util::run_process({"sh", "-c", "log=$1; shift; exec \"$@\" 2>>\"$log\"", "sh", (m_dir / "chromium.log").string(),
                         g_chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--user-data-dir=" + (m_dir / "profile").string(), "--dump-dom", file_url(file)},
                        options);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }
};

} // namespace

TEST_F(ClassPageInBrowser, ATaSeesEveryStudentTheChartTheMostFailedChecksAndAClusterView)
{
  const fs::path out = m_dir / "Lab 5: grades 100%";
  fs::create_directories(out / "reports");
  std::vector<report::ClassMember> members;
  std::vector<nlohmann::json> reports;
  for (const auto& e : fs::directory_iterator(g_reports)) {
    fs::copy_file(e.path(), out / "reports" / e.path().filename());
    reports.push_back(nlohmann::json::parse(util::read_file(e.path())));
    members.push_back({reports.back().at("student").at("id"), reports.back().at("student").at("full_name")});
  }
  ASSERT_GE(reports.size(), 2u);
  // One more student whose grading failed, with what was kept of it.
  members.push_back({"107", "<script>alert('Mallory')</script>"});
  util::write_file_atomically(out / "failed" / "107" / "console.log", "Kernel panic - not syncing\n");
  const std::vector<report::FailedStudent> failed = {
    {"107", members.back().full_name, "the sandbox VM stopped before the agent answered; see failed/107/console.log",
     ""}};

  // A comparison as sim_c will give it: one cluster of two students, with its side-by-side view.
  const std::string a = members[0].id;
  const std::string b = members[1].id;
  similarity::ClassSimilarity sim;
  sim.threshold = 80;
  sim.pairs = {{"page_alloc", a, b, 91, true, "similarity/page_alloc/" + a + "--" + b + ".html"}};
  sim.clusters = {{"page_alloc", {a, b}, 91}};
  util::write_file_atomically(out / sim.pairs[0].view,
                              "<!DOCTYPE html><html><body><h1 id=\"side-by-side\">page_alloc.c: " + a + " and " + b +
                                "</h1></body></html>\n");

  batch::BatchOptions options;
  options.out_dir = out;
  options.grade.rubric = g_rubric;
  options.manual_points = g_manual;
  batch::write_class_files(options, members, failed, &sim);
  ASSERT_TRUE(fs::exists(out / "index.html"));

  const auto dom = dump_dom(out / "index.html");
  ASSERT_NE(dom.find("<h1>"), std::string::npos) << dom.substr(0, 2000);
  // No script got in: the hostile name is text.
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_NE(dom.find("&lt;script&gt;alert('Mallory')&lt;/script&gt;"), std::string::npos);

  // A row per student, each linking to a page of its own that is there.
  for (const auto& r : reports) {
    const std::string id = r.at("student").at("id");
    const auto link = "<a href=\"students/" + id + ".html\">" + r.at("student").at("full_name").get<std::string>();
    EXPECT_NE(dom.find(link), std::string::npos) << id;
    EXPECT_TRUE(fs::exists(out / "students" / (id + ".html"))) << id;
  }
  const auto failed_row = dom.find("<tr class=\"failed\">");
  ASSERT_NE(failed_row, std::string::npos);
  EXPECT_NE(dom.find("grading failed:", failed_row), std::string::npos);
  EXPECT_NE(dom.find("href=\"failed/107/\"", failed_row), std::string::npos);

  // The chart: an SVG with one bar per half point up to the maximum, and the students in them.
  const auto rubric = score::load_rubric(g_rubric);
  const auto svg = dom.find("<svg class=\"histogram\"");
  ASSERT_NE(svg, std::string::npos);
  const auto svg_end = dom.find("</svg>", svg);
  const auto chart = dom.substr(svg, svg_end - svg);
  EXPECT_EQ(count(chart, "<rect class=\"bar\""), static_cast<std::size_t>(rubric.max_score / 0.5));
  std::size_t in_bars = 0;
  const std::regex students_in_bar("data-students=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(chart.begin(), chart.end(), students_in_bar); it != std::sregex_iterator();
       ++it) {
    in_bars += std::stoul((*it)[1]);
  }
  EXPECT_EQ(in_bars, reports.size());
  EXPECT_NE(chart.find("total points (of 8)"), std::string::npos);

  // The most-failed checks: a row for each check that cost points, the costliest first.
  const auto costs = report::most_failed_checks(reports, rubric);
  ASSERT_FALSE(costs.empty());
  const auto table = dom.find("<table class=\"most-failed\">");
  ASSERT_NE(table, std::string::npos);
  const auto table_text = dom.substr(table, dom.find("</table>", table) - table);
  EXPECT_EQ(count(table_text, "<tr>") - 1, costs.size()); // less the header row
  EXPECT_NE(table_text.find("<code>" + costs.front().check + "</code>"), std::string::npos);

  // The cluster's link, read from the DOM and resolved against the folder, opens its view.
  const std::regex view_link("<a class=\"view\" href=\"([^\"]+)\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, view_link));
  const fs::path view = out / m[1].str();
  ASSERT_TRUE(fs::exists(view)) << view;
  EXPECT_NE(dump_dom(view).find("id=\"side-by-side\""), std::string::npos);

  // A student's own page: every check of the report, and the timing table.
  const auto& first = reports.front();
  const std::string first_id = first.at("student").at("id");
  const auto student = dump_dom(out / "students" / (first_id + ".html"));
  for (const auto& ex : first.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      EXPECT_NE(student.find("<code>" + c.at("id").get<std::string>() + "</code>"), std::string::npos) << c.at("id");
    }
  }
  EXPECT_EQ(count(student, "<tr><td><code>"), first.at("measurements").size());
}

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 5) {
    std::cerr << "usage: e2e_class_page CHROMIUM REPORTS_DIR RUBRIC MANUAL_CSV\n";
    return 2;
  }
  g_chromium = argv[1];
  g_reports = argv[2];
  g_rubric = argv[3];
  g_manual = argv[4];
  return RUN_ALL_TESTS();
}
