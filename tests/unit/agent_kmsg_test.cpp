#include "agent_test_support.h"

#include "agent/kmsg.h"

#include <gtest/gtest.h>

using namespace kmgrade::agent;
using kmgrade::observe::LogRecord;

namespace {

class AgentKmsg : public FakeKernelRoot
{
protected:
  void SetUp() override
  {
    FakeKernelRoot::SetUp();
    write("dev/kmsg", "");
  }

  // Appends records to the fake /dev/kmsg one line at a time, as the kernel prints them.
  void print(std::initializer_list<std::string> lines)
  {
    std::ofstream out(m_paths.kmsg(), std::ios::binary | std::ios::app);
    for (const auto& line : lines) {
      out << line << '\n' << std::flush;
    }
  }

  static std::string record(std::uint64_t seq, const std::string& text)
  {
    return "6," + std::to_string(seq) + "," + std::to_string(seq * 1000) + ",-;" + text;
  }

  static std::vector<std::uint64_t> seqs(const std::vector<LogRecord>& records)
  {
    return each(records, [](const LogRecord& rec) { return rec.seq; });
  }
};

} // namespace

// A regular file gives many records to one read, and may cut the last one.
TEST_F(AgentKmsg, ReaderGivesWholeRecordsAndLeavesOutContinuationLines)
{
  write("dev/kmsg", "6,1,100,-;first\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:01.0\n4,2,200,-;sec");
  KmsgReader reader(m_paths.kmsg());
  ASSERT_TRUE(reader.is_open());
  std::vector<LogRecord> records;
  EXPECT_GT(reader.read_records(records), 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].seq, 1u);
  EXPECT_EQ(records[0].text, "first");
  EXPECT_EQ(reader.read_records(records), 0) << "at the end of the file";

  print({"ond", "garbage without a header", "3,3,300,-;third"});
  EXPECT_GT(reader.read_records(records), 0);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].seq, 2u);
  EXPECT_EQ(records[1].level, 4);
  EXPECT_EQ(records[1].text, "second");
  EXPECT_EQ(records[2].text, "third");
  EXPECT_FALSE(KmsgReader(m_paths.root / "nowhere").is_open());
}

TEST_F(AgentKmsg, CurrentSeqIsTheNewestRecords)
{
  std::string log;
  for (int seq = 1; seq <= 2000; ++seq) {
    log += record(static_cast<std::uint64_t>(seq), "line " + std::to_string(seq)) + "\n";
  }
  write("dev/kmsg", log);
  EXPECT_EQ(current_kmsg_seq(m_paths.kmsg()), 2000u) << "read over many reads, records cut between them";
  EXPECT_EQ(current_kmsg_seq(m_paths.root / "nowhere"), 0u);
}

TEST_F(AgentKmsg, FollowerKeepsTheHeadAndTailOfALoadsRecords)
{
  print({record(1, "before the agent"), record(2, "before the agent")});
  KmsgFollower kmsg(m_paths);
  kmsg.start();
  print({record(3, "between loads")});
  kmsg.begin_load(4);
  for (std::uint64_t seq = 4; seq <= 13; ++seq) {
    print({record(seq, "objnum = " + std::to_string(seq))});
  }
  std::size_t dropped = 99;
  const auto log = kmsg.end_load(dropped);
  ASSERT_EQ(seqs(log), (std::vector<std::uint64_t>{4, 5, 12, 13}));
  EXPECT_EQ(log[0].text, "objnum = 4");
  EXPECT_EQ(dropped, 6u);
  EXPECT_FALSE(kmsg.trouble_seen());
  EXPECT_FALSE(kmsg.stall_seen());

  print({record(14, "between loads")});
  kmsg.begin_load(4);
  print({record(15, "second load")});
  const auto second = kmsg.end_load(dropped);
  EXPECT_EQ(seqs(second), (std::vector<std::uint64_t>{15}));
  EXPECT_EQ(dropped, 0u);
}

TEST_F(AgentKmsg, FollowerCountsRecordsLostToTheRingBufferAndSeesTrouble)
{
  KmsgFollower kmsg(m_paths);
  kmsg.start();
  kmsg.begin_load(100);
  print({record(1, "lab5: objnum = 2000"), record(4, "WARNING: CPU: 0 PID: 101 at mm/slub.c:4500 x+0x1/0x2")});
  std::size_t dropped = 0;
  auto log = kmsg.end_load(dropped);
  EXPECT_EQ(seqs(log), (std::vector<std::uint64_t>{1, 4}));
  EXPECT_EQ(dropped, 2u) << "records 2 and 3 were overwritten before they were read";
  EXPECT_TRUE(kmsg.trouble_seen());
  EXPECT_FALSE(kmsg.stall_seen());

  kmsg.begin_load(100);
  EXPECT_FALSE(kmsg.trouble_seen()) << "each load starts clean";
  print({record(5, "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [lab5_thread:101]")});
  log = kmsg.end_load(dropped);
  EXPECT_EQ(seqs(log), (std::vector<std::uint64_t>{5}));
  EXPECT_TRUE(kmsg.trouble_seen());
  EXPECT_TRUE(kmsg.stall_seen());
}

// The agent decides whether to call rmmod from oops_seen() as soon as a step's process has
// died: what the log held by then must be read, however late the reader thread runs.
TEST_F(AgentKmsg, CatchUpReadsEverythingLoggedBeforeIt)
{
  KmsgFollower kmsg(m_paths);
  kmsg.start();
  for (std::uint64_t load = 0; load < 20; ++load) {
    kmsg.begin_load(100);
    print({record(2 * load + 1, "list: dela"),
           record(2 * load + 2, "BUG: kernel NULL pointer dereference, address: 0000000000000010")});
    kmsg.catch_up();
    ASSERT_TRUE(kmsg.oops_seen()) << "load " << load;
    std::size_t dropped = 0;
    EXPECT_EQ(kmsg.end_load(dropped).size(), 2u);
  }
}

TEST_F(AgentKmsg, WithoutAKernelLogALoadHasNoRecords)
{
  std::filesystem::remove(m_paths.kmsg());
  KmsgFollower kmsg(m_paths);
  kmsg.start();
  kmsg.begin_load(10);
  std::size_t dropped = 1;
  EXPECT_TRUE(kmsg.end_load(dropped).empty());
  EXPECT_EQ(dropped, 0u);
}
