// The command line, driven through the real parser: what each command prints and its exit
// status, for everything that is decided before a sandbox is needed.

#include "cli/cli.h"

#include <gtest/gtest.h>

#include <sstream>

namespace {

struct Said
{
  int status;
  std::string out;
  std::string err;
};

Said run(std::vector<std::string> args)
{
  args.insert(args.begin(), "kmgrade");
  std::ostringstream out;
  std::ostringstream err;
  const int status = kmgrade::cli::run_cli(args, out, err);
  return {status, out.str(), err.str()};
}

} // namespace

TEST(Cli, LabsListsEachLabWithItsPointsAndFiles)
{
  const auto r = run({"labs"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "lab5\t8 points\tLab 5: Kernel Memory Management\tpage_alloc.c, kmem_alloc.c, cache_alloc.c\n"
                   "so2-list\t100 points\tSO2 Assignment 0: Kernel API (a list in /proc/list)\tlist.c\n");
}

TEST(Cli, HelpAnswersAndIsNotAnError)
{
  const auto r = run({"grade", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--lab ID|FILE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Exit status: 0 when a report was produced"), std::string::npos) << r.out;
}

TEST(Cli, ACommandLineThatCannotBeIsAUsageError)
{
  EXPECT_EQ(run({}).status, 2);
  EXPECT_EQ(run({"grade"}).status, 2);
  const auto r = run({"grade", KMGRADE_SAMPLES "/correct", "--format", "xml"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
  const auto c = run({"check", KMGRADE_SAMPLES "/correct", "--format", "xml"});
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("--format"), std::string::npos) << c.err;
  EXPECT_EQ(c.out, "");
}

TEST(Cli, AnUnknownLabIsAUsageErrorNamingTheLabsThereAre)
{
  const auto r = run({"grade", KMGRADE_SAMPLES "/correct", "--lab", "lab6"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "kmgrade: error: --lab lab6: kmgrade has no such lab; it has lab5 (page_alloc.c, kmem_alloc.c, "
                   "cache_alloc.c); so2-list (list.c); give the id of one of them, or the path of a lab file\n");
  EXPECT_EQ(r.out, "");
}

TEST(Cli, AnUnknownModuleIsAUsageErrorListingTheLabsModules)
{
  const auto r = run({"check", KMGRADE_SAMPLES "/correct", "--module", "pagealloc", "--quiet"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "kmgrade: error: --module pagealloc: the lab has no such module; it has page_alloc, kmem_alloc, "
                   "cache_alloc\n");
}

TEST(Cli, ALabFileThatIsNotThereIsAUsageError)
{
  const auto r =
    run({"grade", KMGRADE_SAMPLES "/correct", "--lab", KMGRADE_TEST_DATA "/labs/hello/hello.json.missing"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("hello.json.missing: no such lab file"), std::string::npos) << r.err;
}

TEST(Cli, MergeIsListedAndAnswersHelp)
{
  const auto all = run({"--help"});
  EXPECT_EQ(all.status, 0);
  EXPECT_NE(all.out.find("\n  merge "), std::string::npos) << all.out;
  const auto r = run({"merge", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--mixed-accel"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Exit status: 0 when every student has a report"), std::string::npos) << r.out;
}

TEST(Cli, AShardIsKOfNAndLeavesTheClassFilesToTheMerge)
{
  const auto bad = run({"batch", KMGRADE_SAMPLES "/class-download.zip", "--out", "/nonexistent", "--shard", "4/3"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "kmgrade: error: --shard 4/3: give K/N, shard K of N, with K from 1 to N (--shard 2/3)\n");
  const auto manual = run({"batch", KMGRADE_SAMPLES "/class-download.zip", "--out", "/nonexistent", "--shard", "1/3",
                           "--manual", KMGRADE_SAMPLES "/class-manual-points.csv"});
  EXPECT_EQ(manual.status, 2);
  EXPECT_NE(manual.err.find("--shard excludes --manual"), std::string::npos) << manual.err;
}

TEST(Cli, MergingAFolderThatIsNoShardFails)
{
  const auto r = run({"merge", "--out", "/nonexistent", KMGRADE_SAMPLES "/correct"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "kmgrade: error: " KMGRADE_SAMPLES
                   "/correct holds no shard.json: it is not the --out of kmgrade batch --shard K/N, or that batch has "
                   "not graded all of its students yet (rerun it to the end)\n");
}
