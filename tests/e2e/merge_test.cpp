// Grades the sample class download in three shards (kmgrade batch --shard K/3, one folder
// each), merges them (kmgrade merge), and grades the class once more as one plain batch: every
// student has the same score and verdicts both ways, and summary.csv, moodle-grades.csv and
// similarity.csv hold the same rows. Times and durations are left out of the comparison, as
// they differ from one grade to the next: the reports' duration_s and measurements, and
// moodle-grades.csv's "Last modified (grade)", the time the file was written.
//
//   e2e_merge KMGRADE CLASS.zip

#include "report/exports.h"
#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string g_kmgrade, g_class;

std::string read_text(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

kmgrade::util::ProcessResult kmgrade_run(std::vector<std::string> args)
{
  args.insert(args.begin(), g_kmgrade);
  kmgrade::util::ProcessOptions opts;
  opts.max_output = 16 << 20;
  return kmgrade::util::run_process(args, opts);
}

// Each student's reports in `out`, by participant id.
std::map<std::string, nlohmann::json> reports_in(const fs::path& out)
{
  std::map<std::string, nlohmann::json> reports;
  for (const auto& e : fs::directory_iterator(out / "reports")) {
    if (e.path().extension() == ".json") {
      reports[e.path().stem().string()] = nlohmann::json::parse(read_text(e.path()));
    }
  }
  return reports;
}

// check id -> "status points" of a report: its verdicts, without their messages' observations.
std::map<std::string, std::string> verdicts(const nlohmann::json& report)
{
  std::map<std::string, std::string> out;
  for (const auto& ex : report.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      out[c.at("id").get<std::string>()] =
        c.at("status").get<std::string>() + " " + std::to_string(c.at("points").get<double>());
    }
  }
  return out;
}

TEST(EndToEndMerge, ThreeShardsMergedGiveWhatOneBatchGives)
{
  const fs::path base = fs::temp_directory_path() / ("kmgrade-e2e-merge-" + std::to_string(::getpid()));
  fs::remove_all(base);
  std::vector<std::string> shards;
  std::set<std::string> sharded_ids;
  for (int k = 1; k <= 3; ++k) {
    const fs::path out = base / ("shard-" + std::to_string(k));
    shards.push_back(out.string());
    const std::string shard = std::to_string(k) + "/3";
    const auto r = kmgrade_run({"batch", g_class, "--shard", shard, "--out", out.string(), "--jobs", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("\nshard " + shard + ": "), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out / "summary.csv")) << "a shard wrote the class files";
    const auto record = nlohmann::json::parse(read_text(out / "shard.json"));
    EXPECT_EQ(record.at("shard").at("k"), k);
    EXPECT_EQ(record.at("shard").at("n"), 3);
    for (const auto& id : record.at("ids")) {
      EXPECT_TRUE(sharded_ids.insert(id.get<std::string>()).second) << id << " is in two shards";
      EXPECT_TRUE(fs::exists(out / "reports" / (id.get<std::string>() + ".json"))) << id;
    }
  }

  // Two of the three shards are not the class: refused, naming who is missing, and nothing written.
  const auto refused = kmgrade_run({"merge", "--out", (base / "refused").string(), shards[0], shards[1]});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("kmgrade: error: the shards do not hold every student of the class exactly once:"),
            std::string::npos)
    << refused.output;
  EXPECT_NE(refused.output.find("(shard 3/3 grades them: merge its folder too)"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(base / "refused" / "summary.csv"));

  const fs::path merged = base / "merged";
  std::vector<std::string> merge = {"merge", "--out", merged.string()};
  merge.insert(merge.end(), shards.begin(), shards.end());
  const auto m = kmgrade_run(merge);
  ASSERT_EQ(m.exit_code, 0) << m.output;
  EXPECT_NE(m.output.find(std::to_string(sharded_ids.size()) + " students from 3 shards, 0 failed"), std::string::npos)
    << m.output;

  const fs::path whole = base / "whole";
  const auto w = kmgrade_run({"batch", g_class, "--out", whole.string(), "--jobs", "2"});
  ASSERT_EQ(w.exit_code, 0) << w.output;

  const auto from_shards = reports_in(merged);
  const auto from_batch = reports_in(whole);
  ASSERT_EQ(from_shards.size(), from_batch.size());
  EXPECT_EQ(from_shards.size(), sharded_ids.size());
  for (const auto& [id, report] : from_batch) {
    ASSERT_EQ(from_shards.count(id), 1u) << id << " is missing from the merge";
    const auto& sharded = from_shards.at(id);
    EXPECT_EQ(sharded.at("student"), report.at("student")) << id;
    EXPECT_DOUBLE_EQ(sharded.at("score").get<double>(), report.at("score").get<double>()) << id;
    EXPECT_EQ(verdicts(sharded), verdicts(report)) << id;
  }
  EXPECT_EQ(read_text(merged / "summary.csv"), read_text(whole / "summary.csv"));
  EXPECT_EQ(read_text(merged / "similarity.csv"), read_text(whole / "similarity.csv"));
  auto worksheet_of = [](const fs::path& out) {
    auto rows = kmgrade::report::parse_csv(read_text(out / "moodle-grades.csv"));
    const auto& header = rows.at(0);
    const auto last_modified = std::find(header.begin(), header.end(), "Last modified (grade)") - header.begin();
    for (auto& row : rows) {
      row.erase(row.begin() + last_modified);
    }
    return rows;
  };
  EXPECT_EQ(worksheet_of(merged), worksheet_of(whole));
  EXPECT_TRUE(fs::exists(merged / "index.html"));
  for (const auto& id : sharded_ids) {
    EXPECT_TRUE(fs::exists(merged / "students" / (id + ".html"))) << id;
  }
  fs::remove_all(base);
}

} // namespace

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: e2e_merge KMGRADE CLASS.zip\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_class = argv[2];
  return RUN_ALL_TESTS();
}
