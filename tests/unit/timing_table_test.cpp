// The table of times a student puts in the lab report, as Markdown and as CSV.

#include "report/exports.h"
#include "report/timing_table.h"
#include "timing_report.h"
#include "util/error.h"

#include <gtest/gtest.h>

using namespace kmgrade;

namespace {

const std::vector<unsigned> k_objnums = {1000, 2000, 4000};

} // namespace

TEST(TimingTable, MarkdownHasARowPerObjnumAndTheStudentsAndReferencesTimePerModule)
{
  const std::string text = report::timing_table(recorded_timing_report(), k_objnums, report::TableFormat::markdown);
  EXPECT_EQ(text,
            "Time of the allocation and deallocation in µs, median of 2 runs (measured in the sandbox: Linux "
            "6.1.0-56-amd64, tcg, with tracing on)\n"
            "\n"
            "| objnum | page_alloc | page_alloc (reference) | kmem_alloc | kmem_alloc (reference) | cache_alloc | "
            "cache_alloc (reference) |\n"
            "| -----: | ---------: | ---------------------: | ---------: | ---------------------: | ----------: | "
            "----------------------: |\n"
            "|   1000 |       71.0 |                   80.0 |      402.0 |                  388.5 |       330.0 | "
            "                  351.0 |\n"
            "|   2000 |       95.5 |                  101.2 |          – |                  801.0 |       690.0 | "
            "                  655.0 |\n"
            "|   4000 |      190.2 |                  176.3 |     1650.0 |                 1590.0 |      1310.5 | "
            "                 1402.0 |\n");
}

TEST(TimingTable, OneRunIsNotCalledAMedian)
{
  auto r = recorded_timing_report();
  r.timing_runs = 1;
  const std::string text = report::timing_table(r, k_objnums, report::TableFormat::markdown);
  EXPECT_EQ(text.find("median"), std::string::npos) << text;
  EXPECT_EQ(text.rfind("Time of the allocation and deallocation in µs (measured", 0), 0u) << text;
}

TEST(TimingTable, CsvHasARowPerModuleAndObjnumWithEmptyCellsForTimesNotMeasured)
{
  const auto rows =
    report::parse_csv(report::timing_table(recorded_timing_report(), k_objnums, report::TableFormat::csv));
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"module", "objnum", "student_us", "reference_us", "runs"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"page_alloc", "1000", "71.000", "80.016", "2"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"page_alloc", "4000", "190.250", "176.300", "2"}));
  EXPECT_EQ(rows[5], (std::vector<std::string>{"kmem_alloc", "2000", "", "801.000", "0"}));
  EXPECT_EQ(rows[9], (std::vector<std::string>{"cache_alloc", "4000", "1310.500", "1402.000", "2"}));
  for (const auto& row : rows) {
    EXPECT_NE(row[1], "100") << "objnum 100 is not asked for in the report";
  }
}

TEST(TimingTable, TheFileNameSaysTheFormat)
{
  EXPECT_EQ(report::table_format("times.csv"), report::TableFormat::csv);
  EXPECT_EQ(report::table_format("out/times.md"), report::TableFormat::markdown);
  try {
    report::table_format("times.txt");
    FAIL() << "accepted a table file that is neither .csv nor .md";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("times.txt: its name must end in .csv (CSV) or .md (Markdown)"),
              std::string::npos)
      << e.what();
  }
}

TEST(TimingTable, TimesTakenOnTheMachinesOwnKernelSaySo)
{
  auto r = recorded_timing_report();
  r.accel = "host";
  const std::string text = report::timing_table(r, k_objnums, report::TableFormat::markdown);
  EXPECT_NE(text.find("(measured on this machine's own kernel: Linux 6.1.0-56-amd64, with tracing on)"),
            std::string::npos)
    << text;
}
