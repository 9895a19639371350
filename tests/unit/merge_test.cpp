// kmgrade merge on shards made of recorded reports (tests/data/class-reports, students 101 to
// 106): the class files of shards that fit, and the refusal, naming what differs, of those that
// do not. No sandbox VM is booted and no student graded.

#include "batch/merge.h"
#include "batch/resume.h"
#include "score/rubric.h"
#include "util/error.h"
#include "util/files.h"

#include "temp_folder.h"

#include <gtest/gtest.h>

#include <functional>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

const fs::path k_reports = fs::path(KMGRADE_TEST_DATA) / "class-reports";

class Merge : public TempFolderTest
{
protected:
  // The record kmgrade batch --shard writes for `shard` of the recorded class.
  batch::ShardRecord record(const batch::Shard& shard)
  {
    batch::ShardRecord r;
    r.shard = shard;
    std::vector<std::string> ids;
    for (int id = 101; id <= 106; ++id) {
      const auto report = nlohmann::json::parse(util::read_file(k_reports / (std::to_string(id) + ".json")));
      r.roster.push_back({std::to_string(id), report.at("student").at("full_name").get<std::string>()});
      ids.push_back(std::to_string(id));
      if (batch::shard_of(std::to_string(id), shard.n) == shard.k) {
        r.ids.push_back(std::to_string(id));
      }
    }
    r.roster_sha256 = batch::roster_sha256(ids);
    r.grader_version = "0.1.0";
    r.build_sha256 = "7c94ec7da3270c54cdfb5a2ac7b41d148262277f37a4771800b69f9b9f102001";
    r.lab_id = "lab5";
    r.lab_sha256 = "3f1d0c2b9a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060504";
    r.rubric_sha256 = score::load_rubric(KMGRADE_RUBRIC).sha256;
    r.kernel = "6.1.0-56-amd64";
    r.kernel_sha256 = "94fba09d9039131bc5a066c906612ae47cd6851989f79bd665908d307fe6e489";
    r.accel = "tcg";
    r.reference_times = {{"2026-11-28T04:14:17Z", "vm (Intel(R) Xeon(R) Processor, 2 CPUs)", "tcg"}};
    return r;
  }

  // A shard graded into m_dir/<name>: the recorded reports of its students but the failed ones,
  // and its shard.json, after `change` altered the record.
  fs::path shard(const std::string& name, const batch::Shard& shard,
                 const std::function<void(batch::ShardRecord&)>& change = {})
  {
    const fs::path dir = m_dir / name;
    auto r = record(shard);
    if (change) {
      change(r);
    }
    for (const auto& id : r.ids) {
      if (std::none_of(r.failed.begin(), r.failed.end(), [&](const auto& f) { return f.id == id; })) {
        util::write_file_atomically(batch::report_path(dir, id), util::read_file(k_reports / (id + ".json")));
      }
    }
    util::write_file_atomically(batch::shard_record_path(dir), batch::to_json(r).dump(1));
    return dir;
  }

  batch::BatchOptions options() const
  {
    batch::BatchOptions o;
    o.out_dir = m_dir / "class";
    o.grade.rubric = KMGRADE_RUBRIC;
    o.similarity = false;
    return o;
  }

  // Why merging `dirs` is refused; "" when it is not. A refused merge writes nothing.
  std::string refusal(const std::vector<fs::path>& dirs, bool mixed_accel = false)
  {
    try {
      batch::merge_shards(options(), dirs, mixed_accel);
    } catch (const Error& e) {
      EXPECT_FALSE(fs::exists(options().out_dir)) << "a refused merge wrote " << options().out_dir;
      return e.what();
    }
    return "";
  }
};

} // namespace

TEST_F(Merge, ShardsMergeIntoTheClassFilesOfTheWholeClass)
{
  const auto first = shard("first", {1, 2});
  const auto second = shard("second", {2, 2}, [](batch::ShardRecord& r) {
    r.failed = {{"106", "Participant 106", "the sandbox VM never started", ""}};
  });
  util::write_file_atomically(second / "failed" / "106" / "console.log", "Kernel panic\n");
  const auto merged = batch::merge_shards(options(), {first, second}, false);
  EXPECT_EQ(merged.students, 6u);
  ASSERT_EQ(merged.failed.size(), 1u);
  EXPECT_EQ(merged.failed[0].why, "the sandbox VM never started");
  const fs::path out = options().out_dir;
  for (const std::string id : {"101", "102", "103", "104", "105"}) {
    EXPECT_EQ(util::read_file(batch::report_path(out, id)), util::read_file(k_reports / (id + ".json")))
      << "the report of " << id << " is not kept as its shard has it";
    EXPECT_TRUE(fs::exists(out / "students" / (id + ".html"))) << id;
  }
  const auto summary = util::read_file(out / "summary.csv");
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 6) << summary;
  EXPECT_NE(summary.find("\n104,Edsger Dijkstra,"), std::string::npos) << summary;
  EXPECT_TRUE(fs::exists(out / "moodle-grades.csv"));
  EXPECT_EQ(util::read_file(out / "failed" / "106" / "console.log"), "Kernel panic\n");
  EXPECT_NE(util::read_file(out / "index.html").find("failed/106"), std::string::npos);

  // 106 graded in their shard's rerun: the merge again has their report, and nothing of the failure.
  const auto regraded = shard("second", {2, 2});
  fs::remove_all(regraded / "failed");
  EXPECT_TRUE(batch::merge_shards(options(), {first, regraded}, false).failed.empty());
  EXPECT_TRUE(fs::exists(batch::report_path(out, "106")));
  EXPECT_FALSE(fs::exists(out / "failed"));
}

TEST_F(Merge, AShardFolderMayBeTheOutputFolder)
{
  const auto whole = shard("class", {1, 1});
  const auto merged = batch::merge_shards(options(), {whole}, false);
  EXPECT_EQ(merged.files.reports.size(), 6u);
  EXPECT_TRUE(fs::exists(whole / "index.html"));
}

TEST_F(Merge, AMissingShardIsRefusedNamingItsStudents)
{
  const auto first = shard("first", {1, 2});
  EXPECT_EQ(refusal({first}),
            "the shards do not hold every student of the class exactly once:\n"
            "  3 students are in no shard: Edsger Dijkstra (104), Barbara Liskov (105), Participant 106 (shard 2/2 "
            "grades them: merge its folder too)");
}

TEST_F(Merge, AStudentInTwoShardsIsRefusedNamingBoth)
{
  const auto first = shard("first", {1, 2});
  const auto second = shard("second", {2, 2});
  const auto whole = shard("whole", {1, 1});
  const auto why = refusal({first, second, whole});
  EXPECT_EQ(why.rfind("the shards do not hold every student of the class exactly once:\n"
                      "  6 students are in two shards or more: Ada Lovelace (101) is in " +
                        first.string() + " (shard 1/2) and " + whole.string() + " (shard 1/1), ",
                      0),
            0u)
    << why;
  EXPECT_NE(
    refusal({first, second, second})
      .find("Edsger Dijkstra (104) is in " + second.string() + " (shard 2/2) and " + second.string() + " (shard 2/2)"),
    std::string::npos);
}

TEST_F(Merge, ShardsOfAnotherClassDownloadAreRefused)
{
  const auto first = shard("first", {1, 2});
  const auto second = shard("second", {2, 2}, [](batch::ShardRecord& r) {
    r.roster.pop_back();
    r.ids.pop_back();
    r.roster_sha256 = batch::roster_sha256({"101", "102", "103", "104", "105"});
  });
  EXPECT_EQ(refusal({first, second}),
            "the shards are not of the same class download (their lists of students differ):\n  " + first.string() +
              " (shard 1/2): 6 students, roster " + record({1, 2}).roster_sha256.substr(0, 12) + "\n  " +
              second.string() + " (shard 2/2): 5 students, roster " +
              batch::roster_sha256({"101", "102", "103", "104", "105"}).substr(0, 12) +
              "\nGrade every shard from the same download of the submissions.");
}

TEST_F(Merge, ShardsOfAnotherBuildLabOrKernelAreRefusedNamingEach)
{
  struct Case
  {
    std::function<void(batch::ShardRecord&)> change;
    std::string said;
  };
  const std::vector<Case> cases = {
    {[](auto& r) { r.build_sha256 = "0123456789abcdef"; },
     "the shards were not graded by the same kmgrade build:\n  {first} (shard 1/2): kmgrade 0.1.0, build "
     "7c94ec7da327\n  {second} (shard 2/2): kmgrade 0.1.0, build 0123456789ab\n"},
    {[](auto& r) { r.lab_sha256 = "fedcba9876543210"; },
     "the shards were not graded with the same lab (its file and reference solution):\n  {first} (shard 1/2): lab5 "
     "3f1d0c2b9a8e\n  {second} (shard 2/2): lab5 fedcba987654\n"},
    {[](auto& r) { r.kernel = "6.1.0-57-amd64"; },
     "the shards were not graded on the same sandbox kernel:\n  {first} (shard 1/2): Linux 6.1.0-56-amd64 "
     "94fba09d9039\n  {second} (shard 2/2): Linux 6.1.0-57-amd64 94fba09d9039\n"},
  };
  for (const auto& c : cases) {
    const auto first = shard("first", {1, 2});
    const auto second = shard("second", {2, 2}, c.change);
    std::string said = c.said;
    said.replace(said.find("{first}"), 7, first.string());
    said.replace(said.find("{second}"), 8, second.string());
    const auto why = refusal({first, second});
    EXPECT_EQ(why.rfind(said, 0), 0u) << why;
  }
}

TEST_F(Merge, ShardsOfOtherAcceleratorsAreMergedOnlyWithMixedAccel)
{
  const auto first = shard("first", {1, 2});
  const auto second = shard("second", {2, 2}, [](auto& r) { r.accel = "kvm"; });
  EXPECT_EQ(refusal({first, second}),
            "the shards were graded with different accelerators:\n  " + first.string() + " (shard 1/2): tcg\n  " +
              second.string() +
              " (shard 2/2): kvm\nEach shard's times are compared with a reference measured on its own accelerator, "
              "so the class's times are not comparable; pass --mixed-accel to merge them anyway (the reports are kept "
              "as they are).");
  const auto merged = batch::merge_shards(options(), {first, second}, true);
  EXPECT_EQ(merged.files.reports.size(), 6u);
  EXPECT_EQ(util::read_file(batch::report_path(options().out_dir, "104")), util::read_file(k_reports / "104.json"));

  // A shard with no report has no accelerator to compare.
  const auto empty = shard("second", {2, 2}, [](auto& r) { r.accel = ""; });
  EXPECT_EQ(refusal({first, empty}).find("accelerators"), std::string::npos);
}

TEST_F(Merge, AFolderThatIsNoShardIsRefused)
{
  const auto first = shard("first", {1, 2});
  fs::create_directories(m_dir / "half-done");
  EXPECT_EQ(refusal({first, m_dir / "half-done"}),
            (m_dir / "half-done").string() +
              " holds no shard.json: it is not the --out of kmgrade batch --shard K/N, or that batch has not graded "
              "all of its students yet (rerun it to the end)");
}

TEST_F(Merge, AnotherLabFileThanTheShardsIsRefused)
{
  const auto whole = shard("whole", {1, 1});
  auto o = options();
  o.grade.rubric = fs::path(KMGRADE_LABS) / "so2-list.json";
  EXPECT_THROW(
    {
      try {
        batch::merge_shards(o, {whole}, false);
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "the lab file " + o.grade.rubric.string() +
                                           " is not the one the shards were graded with (lab lab5): give that "
                                           "lab's file with --lab");
        throw;
      }
    },
    Error);
}
