// Grades one submission with the real kmgrade binary (real Kbuild, real QEMU VM, real
// kernel) and compares the report with what is expected of it.
//
//   e2e_grade KMGRADE SUBMISSION EXPECTED.json   every check's exact status, and the score
//   e2e_grade KMGRADE SUBMISSION --all-pass [LAB.json]
//                                                every automatic check passes (of LAB, kept
//                                                outside kmgrade, when given)
//   e2e_grade KMGRADE SUBMISSION --reuse-reference
//                                                a second grade reuses the reference times the
//                                                first measured, and changes no verdict
//
// EXPECTED.json: {"score": S, "checks": {id: status}} and optionally
//   "lab": path              graded with --lab, the path relative to EXPECTED.json
//   "grades": N              graded N times in a row, each report held to all of this
//   "notes": [text]          each is part of one of the report's notes
//   "says": {id: [text]}     each is part of that check's message or evidence
//   "never_says": [text]     appears nowhere in the report (a leaked secret, a forged verdict)
//   "failed_tests": {id: [name]}  exactly these tests of that scenario check do not pass
//   "official": {"score": S, "failed": [name]}
//                            what the lab's course checker would give, and exactly the tests it fails

#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace {

std::string g_kmgrade;
std::string g_submission;
std::string g_expected; // empty: --all-pass
bool g_reuse_reference = false;
std::filesystem::path g_lab; // empty: the lab kmgrade chooses

nlohmann::json grade(std::vector<std::string> before = {}, std::vector<std::string> after = {})
{
  if (!g_lab.empty()) {
    after.insert(after.end(), {"--lab", g_lab.string()});
  }
  kmgrade::util::ProcessOptions opts;
  opts.max_output = 64 << 20;
  // stdout and stderr share one pipe: the report is the JSON object after the progress lines.
  for (const auto& arg : std::vector<std::string>{g_kmgrade, "grade", g_submission, "--format", "json", "--quiet"}) {
    before.push_back(arg);
  }
  before.insert(before.end(), after.begin(), after.end());
  auto r = kmgrade::util::run_process(before, opts);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto start = r.output.find("{\n");
  EXPECT_NE(start, std::string::npos) << r.output;
  return nlohmann::json::parse(r.output.substr(start == std::string::npos ? 0 : start));
}

// Invariants of every report: points within bounds and summing up, ids unique.
void check_invariants(const nlohmann::json& report)
{
  EXPECT_EQ(report.at("schema"), "kmgrade.report/1");
  const auto lab_file = g_lab.empty() ? std::filesystem::path(KMGRADE_LABS) /
                                          (report.at("grader").at("rubric").get<std::string>() + ".json")
                                      : g_lab;
  std::ifstream lab(lab_file);
  EXPECT_DOUBLE_EQ(report.at("max_score").get<double>(), nlohmann::json::parse(lab).at("max_score").get<double>());
  EXPECT_EQ(report.at("grader").at("lab").at("id"), report.at("grader").at("rubric"));
  double total = 0;
  double auto_max = 0;
  std::set<std::string> ids;
  for (const auto& ex : report.at("exercises")) {
    double sum = 0;
    for (const auto& c : ex.at("checks")) {
      EXPECT_TRUE(ids.insert(c.at("id").get<std::string>()).second) << c.at("id");
      EXPECT_LE(c.at("points").get<double>(), c.at("max_points").get<double>());
      EXPECT_FALSE(c.at("message").get<std::string>().empty()) << c.at("id");
      sum += c.at("points").get<double>();
      if (c.at("status") != "manual") {
        auto_max += c.at("max_points").get<double>();
      }
    }
    EXPECT_NEAR(ex.at("score").get<double>(), sum, 1e-9) << ex.at("id");
    total += sum;
  }
  EXPECT_NEAR(report.at("score").get<double>(), total, 1e-9);
  EXPECT_NEAR(report.at("auto_max").get<double>(), auto_max, 1e-9);
  // A report whose modules all failed to build booted no VM, and says so.
  const auto& environment = report.at("environment");
  EXPECT_EQ(environment.at("cpus").get<int>() >= 2, environment.at("boots").get<int>() > 0) << environment.dump();
}

std::map<std::string, std::string> statuses(const nlohmann::json& report)
{
  std::map<std::string, std::string> out;
  for (const auto& ex : report.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      out[c.at("id")] = c.at("status");
    }
  }
  return out;
}

// The reference's times are measured once per machine and reused: the second grade runs
// fewer loads, shows the same reference times, says where they come from, and no verdict
// moves. Its own cache, so no other test's grade can store a baseline in between.
void check_reference_reuse()
{
  std::string tmpl = (std::filesystem::temp_directory_path() / "kmgrade-e2e-cache-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::vector<std::string> env = {"/usr/bin/env", "XDG_CACHE_HOME=" + tmpl};
  auto first = grade(env, {"--accel", "tcg", "--fresh-reference"});
  auto second = grade(env, {"--accel", "tcg"});
  std::filesystem::remove_all(tmpl);
  check_invariants(first);
  check_invariants(second);
  EXPECT_EQ(first.at("reference_times").at("measured"), "in this grade");
  EXPECT_EQ(second.at("reference_times").at("measured"), "earlier");
  EXPECT_EQ(second.at("reference_times").at("measured_at"), first.at("reference_times").at("measured_at"));
  EXPECT_EQ(second.at("reference_times").at("machine"), first.at("reference_times").at("machine"));
  EXPECT_EQ(second.at("reference_times").at("accel"), "tcg");
  const auto& rows = first.at("measurements");
  ASSERT_EQ(rows.size(), second.at("measurements").size());
  ASSERT_FALSE(rows.empty());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_FALSE(rows[i].at("reference_ns").is_null()) << rows[i].dump();
    EXPECT_EQ(second.at("measurements")[i].at("reference_ns"), rows[i].at("reference_ns")) << rows[i].dump();
  }
  // One reference load per row of the timing table is left out.
  EXPECT_EQ(first.at("environment").at("loads").get<std::size_t>() -
              second.at("environment").at("loads").get<std::size_t>(),
            rows.size());
  EXPECT_EQ(statuses(first), statuses(second));
}

// The report holds every verdict, the score and the texts `expected` names.
void check_expected(const nlohmann::json& report, const nlohmann::json& expected)
{
  check_invariants(report);
  std::map<std::string, std::string> seen;
  std::map<std::string, std::string> said; // message and evidence, to explain a mismatch
  for (const auto& ex : report.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      seen[c.at("id")] = c.at("status");
      said[c.at("id")] = c.at("message").get<std::string>() + "\n" + c.at("evidence").dump(1);
    }
  }
  for (const auto& [id, status] : expected.at("checks").items()) {
    ASSERT_TRUE(seen.count(id)) << "the report has no check " << id;
    EXPECT_EQ(seen[id], status.get<std::string>()) << id << ": " << said[id];
  }
  for (const auto& [id, status] : seen) {
    if (status != "manual") {
      EXPECT_TRUE(expected.at("checks").contains(id)) << "no expected verdict for " << id << " (" << status << ")";
    }
  }
  EXPECT_DOUBLE_EQ(report.at("score").get<double>(), expected.at("score").get<double>());
  for (const auto& text : expected.value("notes", nlohmann::json::array())) {
    bool found = false;
    for (const auto& note : report.at("notes")) {
      found = found || note.get<std::string>().find(text.get<std::string>()) != std::string::npos;
    }
    EXPECT_TRUE(found) << "no note says " << text << "; the notes are " << report.at("notes").dump(1);
  }
  const auto says = expected.value("says", nlohmann::json::object());
  for (const auto& [id, texts] : says.items()) {
    ASSERT_TRUE(said.count(id)) << "the report has no check " << id;
    for (const auto& text : texts) {
      EXPECT_NE(said[id].find(text.get<std::string>()), std::string::npos)
        << id << " does not say " << text << ": " << said[id];
    }
  }
  const auto failed_tests = expected.value("failed_tests", nlohmann::json::object());
  for (const auto& [id, names] : failed_tests.items()) {
    std::set<std::string> failed;
    for (const auto& ex : report.at("exercises")) {
      for (const auto& c : ex.at("checks")) {
        if (c.at("id") == id) {
          for (const auto& t : c.value("tests", nlohmann::json::array())) {
            if (t.at("status") != "pass") {
              failed.insert(t.at("name").get<std::string>());
            }
          }
        }
      }
    }
    EXPECT_EQ(failed, names.get<std::set<std::string>>()) << id << ": " << said[id];
  }
  if (expected.contains("official")) {
    const auto& official = report.at("official_equivalent");
    ASSERT_TRUE(official.is_object()) << "the report has no official_equivalent";
    EXPECT_DOUBLE_EQ(official.at("score").get<double>(), expected.at("official").at("score").get<double>());
    EXPECT_EQ(official.at("failed").get<std::multiset<std::string>>(),
              expected.at("official").at("failed").get<std::multiset<std::string>>());
  }
  const std::string whole = report.dump();
  for (const auto& text : expected.value("never_says", nlohmann::json::array())) {
    EXPECT_EQ(whole.find(text.get<std::string>()), std::string::npos) << "the report says " << text;
  }
}

TEST(EndToEnd, Grade)
{
  if (g_reuse_reference) {
    check_reference_reuse();
    return;
  }
  if (g_expected.empty()) {
    auto report = grade();
    check_invariants(report);
    for (const auto& ex : report.at("exercises")) {
      for (const auto& c : ex.at("checks")) {
        if (c.at("status") != "manual") {
          EXPECT_EQ(c.at("status"), "pass") << c.at("id") << ": " << c.at("message");
        }
      }
    }
    EXPECT_DOUBLE_EQ(report.at("score").get<double>(), report.at("auto_max").get<double>());
    if (const auto& official = report.at("official_equivalent"); official.is_object()) {
      EXPECT_DOUBLE_EQ(official.at("score").get<double>(), official.at("max_score").get<double>()) << official.dump();
    }
    for (const auto& m : report.at("measurements")) {
      EXPECT_FALSE(m.at("reported_ns").is_null()) << m.dump();
      EXPECT_FALSE(m.at("reference_ns").is_null()) << m.dump();
    }
    return;
  }
  std::ifstream in(g_expected);
  const auto expected = nlohmann::json::parse(in);
  if (expected.contains("lab")) {
    g_lab = std::filesystem::path(g_expected).parent_path() / expected.at("lab").get<std::string>();
  }
  const int grades = expected.value("grades", 1);
  for (int i = 1; i <= grades; ++i) {
    SCOPED_TRACE("grade " + std::to_string(i) + " of " + std::to_string(grades));
    check_expected(grade(), expected);
  }
}

} // namespace

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: e2e_grade KMGRADE SUBMISSION (EXPECTED.json | --all-pass [LAB.json] | --reuse-reference)\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_submission = argv[2];
  const std::string mode = argv[3];
  g_reuse_reference = mode == "--reuse-reference";
  g_expected = mode == "--all-pass" || g_reuse_reference ? "" : mode;
  if (mode == "--all-pass" && argc > 4) {
    g_lab = argv[4];
  }
  return RUN_ALL_TESTS();
}
