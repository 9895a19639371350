// The timing table's rows, from observations recorded from real sandbox runs (tests/recorded.h).

#include "recorded.h"

#include "report/report.h"

#include <algorithm>
#include <set>

using namespace kmgrade;
using evaluate::Status;
using kmgrade::testing::Recorded;

// A module runs in the guest's kernel: it can learn the secret and write on the agent's
// channel. Its lines may be ignored; they must not stop the grade.
// The reference's times, as a baseline stores them, sit beside the same module's own rows.
TEST(RecordedReference, ReportedTimesAreWhatTheTimingRowsShow)
{
  Recorded rec("reference");
  auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  for (const auto& m : rubric.modules) {
    const auto facts = pipeline::lab_facts(rubric, m, rec.report().page_size);
    std::map<unsigned, std::uint64_t> times;
    for (const auto& [objnum, each] : evaluate::reported_times(rec.evidence(m.id), facts)) {
      ASSERT_EQ(each.size(), 1u) << m.id << " " << objnum << ": one load each, no timing repeats";
      times[objnum] = each.front();
    }
    ASSERT_EQ(times.size(), rubric.timing.values.size()) << m.id;
    const auto rows = evaluate::measure(rec.evidence(m.id), times, facts);
    ASSERT_EQ(rows.size(), rubric.timing.values.size());
    for (const auto& row : rows) {
      ASSERT_TRUE(row.reported_ns) << m.id << " " << row.value;
      EXPECT_GT(*row.reported_ns, 0u);
      EXPECT_EQ(row.runs, 1u);
      EXPECT_EQ(row.reference_ns, row.reported_ns) << m.id << " " << row.value;
    }
    // A baseline without a time for an objnum leaves that row's reference empty.
    auto partial = times;
    partial.erase(rubric.timing.values.front());
    EXPECT_FALSE(evaluate::measure(rec.evidence(m.id), partial, facts).front().reference_ns);
  }
}

namespace {

// A copy of `run` whose thread printed `ns` as the time of its work.
observe::ModuleRun printing_time(observe::ModuleRun run, std::uint64_t ns)
{
  bool found = false;
  for (auto& segment : run.events.segments) {
    for (auto& e : segment.block) {
      if (const auto took = e.event.text.find(" took "); e.event.name == "console" && took != std::string::npos) {
        e.event.text = e.event.text.substr(0, took) + " took " + std::to_string(ns) + " ns";
        found = true;
      }
    }
  }
  EXPECT_TRUE(found) << "no timing message in " << run.request.id;
  return run;
}

} // namespace

TEST(Median, IsTheMiddleValueOrTheMeanOfTheTwoMiddleOnes)
{
  EXPECT_FALSE(evaluate::median({}));
  EXPECT_EQ(evaluate::median({7}), 7u);
  EXPECT_EQ(evaluate::median({30, 10, 20}), 20u);
  EXPECT_EQ(evaluate::median({5, 1, 1000, 3, 4}), 4u) << "an outlier does not move it";
  EXPECT_EQ(evaluate::median({10, 20}), 15u);
  EXPECT_EQ(evaluate::median({40, 10, 30, 20}), 25u);
  EXPECT_EQ(evaluate::median({2, 5}), 3u) << "rounded down";
  const std::uint64_t top = 18446744073709551615ULL;
  EXPECT_EQ(evaluate::median({top, top - 2}), top - 1) << "no overflow near the top";
}

// The timing table gives the median of the checks' load and its timing repeats; the repeats
// are not the checks' runs, so a check sees the same whatever their number.
TEST(RecordedReference, TimingRowsAreTheMediansOfTheLoadAndItsRepeats)
{
  Recorded rec("reference");
  auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  const auto& spec = *rubric.module("kmem_alloc");
  const auto facts = pipeline::lab_facts(rubric, spec, rec.report().page_size);
  evaluate::ModuleEvidence e = rec.evidence("kmem_alloc");
  const auto before = pipeline::run_check(rubric, e, rec.report().page_size, "kmem_alloc.timing");
  const observe::ModuleRun* at_1000 = nullptr;
  for (const auto& run : e.runs) {
    if (run.request.params == "objnum=1000") {
      at_1000 = &run;
    }
  }
  ASSERT_TRUE(at_1000);
  const auto first = evaluate::measure(e, {}, facts);
  std::uint64_t alone = 0;
  for (const auto& row : first) {
    if (row.value == 1000) {
      ASSERT_TRUE(row.reported_ns);
      alone = *row.reported_ns;
    }
  }
  ASSERT_LT(alone, 900000000u);
  e.timing_repeats = {printing_time(*at_1000, 900000000), printing_time(*at_1000, 1)};
  const auto rows = evaluate::measure(e, {}, facts);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].value == 1000) {
      EXPECT_EQ(rows[i].runs, 3u);
      EXPECT_EQ(rows[i].reported_ns, alone) << "the middle of a very long and a very short repeat";
      EXPECT_EQ(rows[i].traced_ns, first[i].traced_ns) << "the repeats traced the same span";
    } else {
      EXPECT_EQ(rows[i].runs, 1u) << rows[i].value;
      EXPECT_EQ(rows[i].reported_ns, first[i].reported_ns) << rows[i].value;
    }
  }
  for (const auto& row : rows) {
    if (row.value == 1000) {
      ASSERT_EQ(row.each_run.size(), 3u) << "the checks' load, then its repeats in plan order";
      EXPECT_EQ(row.each_run[0].reported_ns, alone);
      EXPECT_EQ(row.each_run[1].reported_ns, 900000000u);
      EXPECT_EQ(row.each_run[2].reported_ns, 1u);
      EXPECT_EQ(row.each_run[1].traced_ns, row.each_run[0].traced_ns);
    } else {
      EXPECT_EQ(row.each_run.size(), 1u) << row.value;
    }
  }
  e.timing_repeats.pop_back();
  for (const auto& row : evaluate::measure(e, {}, facts)) {
    if (row.value == 1000) {
      EXPECT_EQ(row.reported_ns, (alone + 900000000) / 2) << "two runs: the mean of both";
    }
  }
  EXPECT_EQ(evaluate::reported_times(e, facts).at(1000).size(), 2u);
  const auto after = pipeline::run_check(rubric, e, rec.report().page_size, "kmem_alloc.timing");
  EXPECT_EQ(after.status, before.status);
  EXPECT_EQ(after.message, before.message);
}

// `kmgrade check --runs 2 --format json`: the report's contract, and under each timing row the
// times of every load its medians come from. `kmgrade grade`'s JSON stays as it was.
TEST(RecordedReference, CheckJsonListsEveryRunBehindEachMedian)
{
  Recorded rec("reference");
  auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  report::Report rep;
  rep.timing_runs = 2;
  for (const auto& m : rubric.modules) {
    const auto facts = pipeline::lab_facts(rubric, m, rec.report().page_size);
    evaluate::ModuleEvidence e = rec.evidence(m.id);
    std::set<unsigned> repeated; // one repeat per value, as --runs 2 plans it
    for (const auto& run : e.runs) {
      const auto value = static_cast<unsigned>(evaluate::RunView(run, facts).number(facts.timed_param));
      const bool timed =
        std::find(facts.timing_values.begin(), facts.timing_values.end(), value) != facts.timing_values.end();
      if (run.insmod.ok && timed && repeated.insert(value).second) {
        e.timing_repeats.push_back(printing_time(run, 1000));
      }
    }
    for (auto& row : evaluate::measure(e, {}, facts)) {
      rep.measurements.push_back(std::move(row));
    }
  }
  ASSERT_EQ(rep.measurements.size(), rubric.modules.size() * rubric.timing.values.size());

  const auto j = nlohmann::json::parse(report::to_json_text(report::to_json(rep, report::EachRun::yes)));
  EXPECT_EQ(j.at("schema"), report::k_schema);
  for (const char* key : {"grader", "submission", "environment", "score", "exercises", "reference_times"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("timing_runs"), 2);
  ASSERT_EQ(j.at("measurements").size(), rep.measurements.size());
  for (const auto& m : j.at("measurements")) {
    const auto& runs = m.at("runs");
    ASSERT_EQ(runs.size(), 2u) << m.dump();
    std::vector<std::uint64_t> reported;
    for (const auto& run : runs) {
      ASSERT_TRUE(run.at("reported_ns").is_number_unsigned()) << run.dump();
      EXPECT_TRUE(run.contains("traced_ns")) << run.dump();
      reported.push_back(run.at("reported_ns").get<std::uint64_t>());
    }
    EXPECT_EQ(reported[1], 1000u) << "the repeat follows the checks' load";
    EXPECT_EQ(m.at("reported_ns"), *evaluate::median(reported)) << m.dump();
  }

  const auto graded = report::to_json(rep);
  EXPECT_FALSE(graded.contains("timing_runs"));
  for (const auto& m : graded.at("measurements")) {
    EXPECT_FALSE(m.contains("runs")) << m.dump();
  }
}
