// Which shard grades which student: the jump consistent hash, the participant id's key, and
// what shard.json keeps.

#include "batch/shard.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using namespace kmgrade;

namespace {

std::vector<std::string> many_ids(std::size_t n)
{
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) {
    ids.push_back(std::to_string(100000 + i));
  }
  return ids;
}

} // namespace

// The values other implementations of the paper's algorithm give (ClickHouse's
// jumpConsistentHash tests, Python's jump package).
TEST(Shard, JumpHashGivesThePapersBuckets)
{
  EXPECT_EQ(batch::jump_consistent_hash(1, 1), 0u);
  EXPECT_EQ(batch::jump_consistent_hash(42, 57), 43u);
  EXPECT_EQ(batch::jump_consistent_hash(256, 1024), 520u);
  EXPECT_EQ(batch::jump_consistent_hash(3735883980ULL, 1), 0u);
  EXPECT_EQ(batch::jump_consistent_hash(3735883980ULL, 666), 361u);
  EXPECT_EQ(batch::jump_consistent_hash(16045690984833335023ULL, 255), 237u);
}

// The key is the first 8 bytes of the id's sha256: the same wherever and whenever it is taken,
// so a class downloaded again with the same students is split the same way. These are the
// shards of the sample class download's students, in 1 to 4 shards.
TEST(Shard, AStudentsShardFollowsFromTheirIdAlone)
{
  EXPECT_EQ(batch::student_key("101"), 0x16dc368a89b428b2ULL);
  EXPECT_EQ(batch::student_key("110"), 0x9bdb2af6799204a2ULL);
  const std::map<std::string, std::vector<unsigned>> shards = {
    {"101", {1, 1, 3, 4}}, {"102", {1, 1, 1, 1}}, {"103", {1, 1, 1, 1}}, {"104", {1, 2, 2, 2}}, {"105", {1, 2, 2, 2}},
    {"106", {1, 2, 2, 2}}, {"108", {1, 1, 3, 4}}, {"109", {1, 1, 3, 3}}, {"110", {1, 2, 2, 2}},
  };
  for (const auto& [id, want] : shards) {
    for (unsigned n = 1; n <= want.size(); ++n) {
      EXPECT_EQ(batch::shard_of(id, n), want[n - 1]) << id << " in " << n << " shards";
    }
  }
}

TEST(Shard, ShardsAreAboutEvenAndOneMoreShardTakesOnlyItsShare)
{
  const auto ids = many_ids(12000);
  for (unsigned n = 1; n <= 12; ++n) {
    std::vector<std::size_t> sizes(n + 1, 0);
    std::size_t moved = 0;
    for (const auto& id : ids) {
      const unsigned before = batch::shard_of(id, n);
      const unsigned after = batch::shard_of(id, n + 1);
      ASSERT_GE(before, 1u);
      ASSERT_LE(before, n);
      ++sizes[before - 1];
      if (after != before) {
        ++moved;
        EXPECT_EQ(after, n + 1) << id << " moved from shard " << before << " of " << n << " to an old shard";
      }
    }
    const double share = static_cast<double>(ids.size()) / (n + 1);
    EXPECT_NEAR(static_cast<double>(moved), share, share * 0.15) << "from " << n << " to " << n + 1 << " shards";
    for (unsigned k = 0; k < n; ++k) {
      const double even = static_cast<double>(ids.size()) / n;
      EXPECT_NEAR(static_cast<double>(sizes[k]), even, even * 0.15) << "shard " << k + 1 << " of " << n;
    }
  }
}

TEST(Shard, KOfNIsReadOnlyAsTwoWholeNumbersWithKFromOneToN)
{
  EXPECT_EQ(batch::parse_shard("2/3"), (batch::Shard{2, 3}));
  EXPECT_EQ(batch::parse_shard("1/1"), (batch::Shard{1, 1}));
  EXPECT_EQ(batch::to_string({2, 3}), "2/3");
  for (const std::string bad : {"0/3", "4/3", "3", "1/0", "a/b", "1/3x", "/3", "1/", "-1/3", ""}) {
    try {
      batch::parse_shard(bad);
      ADD_FAILURE() << bad << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::usage) << bad;
      EXPECT_EQ(std::string(e.what()), "--shard " + bad + ": give K/N, shard K of N, with K from 1 to N (--shard 2/3)");
    }
  }
}

TEST(Shard, TheRosterHashIsOfItsIdsInAnyOrder)
{
  EXPECT_EQ(batch::roster_sha256({"101", "102", "103"}), batch::roster_sha256({"103", "101", "102"}));
  EXPECT_NE(batch::roster_sha256({"101", "102", "103"}), batch::roster_sha256({"101", "102"}));
  // Ids are kept apart: "01" and "1" are not "0" and "11".
  EXPECT_NE(batch::roster_sha256({"01", "1"}), batch::roster_sha256({"0", "11"}));
}

TEST(Shard, ARecordReadsBackAsWritten)
{
  batch::ShardRecord r;
  r.shard = {2, 3};
  r.roster = {{"101", "Ada Lovelace"}, {"104", "Edsger Dijkstra"}};
  r.roster_sha256 = batch::roster_sha256({"101", "104"});
  r.ids = {"104"};
  r.failed = {{"104", "Edsger Dijkstra", "the sandbox VM did not start", ""}};
  r.grader_version = "0.1.0";
  r.build_sha256 = "build";
  r.agent_sha256 = "agent";
  r.lab_id = "lab5";
  r.lab_sha256 = "lab";
  r.rubric_sha256 = "rubric";
  r.kernel = "6.1.0-56-amd64";
  r.kernel_sha256 = "kernel";
  r.qemu = "QEMU emulator version 7.2.15";
  r.accel = "tcg";
  r.machine = "vm (Intel(R) Xeon(R) Processor, 2 CPUs)";
  r.cpu_model = "Intel(R) Xeon(R) Processor";
  r.reference_times = {{"2026-11-28T04:14:17Z", "vm (Intel(R) Xeon(R) Processor, 2 CPUs)", "tcg"}};
  r.finished_at = "2026-11-28T05:00:00Z";
  const auto back = batch::shard_record_from_json(batch::to_json(r), "shard.json");
  EXPECT_EQ(batch::to_json(back), batch::to_json(r));
  EXPECT_EQ(back.failed.at(0).why, "the sandbox VM did not start");

  auto j = batch::to_json(r);
  j["lab"].erase("sha256");
  EXPECT_THROW(batch::shard_record_from_json(j, "shard.json"), Error);
  j = batch::to_json(r);
  j["schema"] = "kmgrade.shard/2";
  EXPECT_THROW(batch::shard_record_from_json(j, "shard.json"), Error);
}
