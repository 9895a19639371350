// `kmgrade check` as a student runs it, with the real sandbox: the exit status and the lines
// a student sees.
//
//   e2e_check KMGRADE SAMPLES

#include "report/exports.h"
#include "util/files.h"
#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

std::string g_kmgrade;
fs::path g_samples;

kmgrade::util::ProcessResult check(std::vector<std::string> args)
{
  args.insert(args.begin(), {g_kmgrade, "check"});
  args.push_back("--quiet");
  return kmgrade::util::run_process(args);
}

void expect_says(const kmgrade::util::ProcessResult& r, const std::string& text)
{
  EXPECT_NE(r.output.find(text), std::string::npos) << "does not say \"" << text << "\":\n" << r.output;
}

} // namespace

// With the numbers for the report: two runs of each timing load, the table saved as CSV and
// the chart drawn. The repeats change no verdict.
TEST(Check, ACorrectSubmissionPassesEveryCheckAndGivesTheNumbersForTheReport)
{
  const kmgrade::util::TempFolder out("kmgrade-check");
  const fs::path table = out.path() / "T.csv";
  const fs::path chart = out.path() / "C.svg";
  auto r =
    check({(g_samples / "correct").string(), "--runs", "2", "--table", table.string(), "--chart", chart.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_says(r, "page_alloc.c    all 13 checks pass\n");
  expect_says(r, "kmem_alloc.c    all 12 checks pass\n");
  expect_says(r, "cache_alloc.c   all 14 checks pass\n");
  expect_says(r, "Every check kmgrade can run on what is written passes.");
  expect_says(r, "Time of the allocation and deallocation in µs, median of 2 runs");
  expect_says(r, "| objnum | page_alloc | page_alloc (reference) | kmem_alloc |");

  const auto rows = kmgrade::report::parse_csv(kmgrade::util::read_file(table));
  ASSERT_EQ(rows.size(), 10u) << kmgrade::util::read_file(table);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"module", "objnum", "student_us", "reference_us", "runs"}));
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 5u);
    EXPECT_FALSE(rows[i][2].empty()) << rows[i][0] << " " << rows[i][1];
    EXPECT_FALSE(rows[i][3].empty()) << rows[i][0] << " " << rows[i][1];
    EXPECT_EQ(rows[i][4], "2") << rows[i][0] << " " << rows[i][1];
  }

  const std::string svg = kmgrade::util::read_file(chart);
  for (const char* module : {"page_alloc", "kmem_alloc", "cache_alloc"}) {
    EXPECT_NE(svg.find(std::string("<text>") + module + "</text>"), std::string::npos) << module;
    EXPECT_NE(svg.find(std::string("<text>") + module + " (reference)</text>"), std::string::npos) << module;
  }
  const std::string plot = "<g id=\"gnuplot_plot_";
  std::size_t series = 0;
  for (auto at = svg.find(plot); at != std::string::npos; at = svg.find(plot, at + 1)) {
    ++series;
  }
  EXPECT_EQ(series, 6u) << "three modules, each beside the reference";
}

// --format json: stdout is one JSON document, the report with every timing run under its row;
// progress stays on stderr, and the table file is still saved.
TEST(Check, JsonGivesTheReportWithEveryRun)
{
  const kmgrade::util::TempFolder out("kmgrade-check");
  const fs::path table = out.path() / "T.csv";
  const fs::path errors = out.path() / "stderr.txt";
  auto r = kmgrade::util::run_process({"sh", "-c", "exec \"$@\" 2>\"$0\"", errors.string(), g_kmgrade, "check",
                                       (g_samples / "correct").string(), "--module", "page_alloc", "--runs", "2",
                                       "--format", "json", "--table", table.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output << kmgrade::util::read_file(errors);
  const auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << "stdout is not one JSON document:\n" << r.output;
  EXPECT_EQ(j.at("schema"), "kmgrade.report/1");
  EXPECT_EQ(j.at("timing_runs"), 2);
  std::size_t rows = 0;
  for (const auto& m : j.at("measurements")) {
    if (m.at("module") != "page_alloc") {
      continue;
    }
    ++rows;
    ASSERT_EQ(m.at("runs").size(), 2u) << m.dump();
    for (const auto& run : m.at("runs")) {
      EXPECT_TRUE(run.at("reported_ns").is_number()) << m.dump();
    }
  }
  EXPECT_GE(rows, 1u) << j.at("measurements").dump();
  EXPECT_NE(kmgrade::util::read_file(errors).find("kmgrade: "), std::string::npos) << "no progress on stderr";
  EXPECT_TRUE(fs::exists(table));
}

TEST(Check, ATableFileOfAnotherKindIsRefusedBeforeGrading)
{
  auto r = check({(g_samples / "correct").string(), "--table", "times.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_says(r, "its name must end in .csv (CSV) or .md (Markdown)");
}

TEST(Check, AFolderWithOnlyPageAllocIsCheckedForWhatIsThere)
{
  std::string tmpl = (fs::temp_directory_path() / "kmgrade-check-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  fs::copy_file(g_samples / "correct" / "page_alloc.c", fs::path(tmpl) / "page_alloc.c");
  auto r = check({tmpl});
  fs::remove_all(tmpl);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_says(r, "page_alloc.c    all 13 checks pass\n");
  expect_says(r, "kmem_alloc.c    not written yet\n");
  expect_says(r, "cache_alloc.c   not written yet\n");
}

TEST(Check, AWrongOrderIsNamedAndFailsTheExitStatus)
{
  auto r = check({(g_samples / "wrong-order").string()});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  expect_says(r, "page_alloc.c    12 of 13 checks pass\n  order fails: objnum 100: alloc_pages order 3, expected 0");
  expect_says(r, "1 check to fix (--verbose shows the kernel's evidence for each)");
}

TEST(Check, OneModuleAtATime)
{
  auto r = check({(g_samples / "wrong-order").string(), "--module", "kmem_alloc.c"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_says(r, "page_alloc.c    not checked this time (--module)\n");
  expect_says(r, "kmem_alloc.c    all 12 checks pass\n");
}

TEST(Check, AnUnknownModuleIsAnError)
{
  auto r = check({(g_samples / "correct").string(), "--module", "pagealloc"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_says(r, "--module pagealloc: the lab has no such module; it has page_alloc, kmem_alloc, cache_alloc\n");
}

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: e2e_check KMGRADE SAMPLES\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_samples = argv[2];
  return RUN_ALL_TESTS();
}
