#include "agent_test_support.h"

#include "agent/slab.h"

#include <gtest/gtest.h>

#include <set>

using namespace kmgrade::agent;

namespace {

using AgentSlab = FakeKernelRoot;

std::vector<std::string> names(const std::vector<kmgrade::observe::SlabCache>& caches)
{
  return each(caches, [](const kmgrade::observe::SlabCache& c) { return c.name; });
}

} // namespace

TEST_F(AgentSlab, SnapshotReadsEachCacheButNotMergedAliases)
{
  write("sys/kernel/slab/kmalloc-32/object_size", "32\n");
  write("sys/kernel/slab/kmalloc-32/objects", "4096\n");
  write("sys/kernel/slab/lab5_cache/object_size", "32\n");
  write("sys/kernel/slab/lab5_cache/objects", "0\n");
  write("sys/kernel/slab/half_written/object_size", "64\n");
  std::filesystem::create_symlink("kmalloc-32", m_paths.slab() / ":0000032");
  write("sys/kernel/slab/not_a_cache", "1\n");

  const auto caches = slab_snapshot(m_paths);
  ASSERT_EQ(caches.size(), 3u);
  EXPECT_EQ(caches.at("kmalloc-32").object_size, 32);
  EXPECT_EQ(caches.at("kmalloc-32").objects, 4096);
  EXPECT_EQ(caches.at("lab5_cache").name, "lab5_cache");
  EXPECT_EQ(caches.at("lab5_cache").objects, 0);
  EXPECT_EQ(caches.at("half_written").object_size, 64);
  EXPECT_EQ(caches.at("half_written").objects, 0);
  EXPECT_TRUE(slab_snapshot(KernelPaths{m_paths.root / "nowhere"}).empty());
}

TEST_F(AgentSlab, CreatedAndLeftCachesAreCountedAndNoOtherCache)
{
  write("sys/kernel/slab/kmalloc-32/object_size", "32\n");
  const auto before = slab_cache_names(m_paths);
  EXPECT_EQ(before, (std::set<std::string>{"kmalloc-32"}));
  write("sys/kernel/slab/zz_cache/object_size", "32\n");
  write("sys/kernel/slab/aa_cache/object_size", "40\n");
  write("sys/kernel/slab/aa_cache/objects", "7\n");
  const auto created = caches_created(m_paths, before);
  EXPECT_EQ(names(created), (std::vector<std::string>{"aa_cache", "zz_cache"}));
  EXPECT_EQ(created[0].objects, 7);
  EXPECT_EQ(created[0].object_size, 40);

  std::filesystem::remove_all(m_paths.slab() / "zz_cache");
  write("sys/kernel/slab/aa_cache/objects", "3\n");
  const auto left = caches_left(m_paths, created);
  ASSERT_EQ(names(left), (std::vector<std::string>{"aa_cache"}));
  EXPECT_EQ(left[0].objects, 3) << "as /sys/kernel/slab shows it after unload";
  EXPECT_TRUE(caches_created(m_paths, slab_cache_names(m_paths)).empty());
  EXPECT_TRUE(caches_left(m_paths, {}).empty());
}

TEST_F(AgentSlab, AskedForSomeCachesReadsOnlyThose)
{
  write("sys/kernel/slab/kmalloc-32/object_size", "32\n");
  write("sys/kernel/slab/lab5_cache/object_size", "32\n");
  const auto only = slab_snapshot(m_paths, [](const std::string& name) { return name == "lab5_cache"; });
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only.begin()->first, "lab5_cache");
}
