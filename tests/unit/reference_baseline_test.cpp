// Where the reference's times are kept between grades, and what makes them not apply.

#include "pipeline/reference_baseline.h"
#include "temp_folder.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace kmgrade::pipeline;
namespace fs = std::filesystem;

namespace {

using BaselineStore = TempFolderTest;

ReferenceBaseline sample()
{
  ReferenceBaseline b;
  b.measured_at = "2026-11-28T09:15:00Z";
  b.machine = "lab (Intel(R) Xeon(R) Processor, 2 CPUs)";
  b.accel = "tcg";
  b.kernel = "6.1.0-56-amd64";
  b.runs = 5;
  b.times["page_alloc"] = {{1000, 5100}, {2000, 5200}, {4000, 5300}};
  b.times["kmem_alloc"] = {{1000, 910000}, {2000, 1800000}, {4000, 18446744073709551615ULL}};
  return b;
}

} // namespace

TEST_F(BaselineStore, ASavedBaselineReadsBackWhole)
{
  const std::string key = baseline_key("b", "r", "k", "rub", "tcg", "lab", 1);
  EXPECT_FALSE(load_baseline(m_dir, key));
  save_baseline(m_dir, key, sample());
  auto back = load_baseline(m_dir, key);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->measured_at, "2026-11-28T09:15:00Z");
  EXPECT_EQ(back->machine, sample().machine);
  EXPECT_EQ(back->accel, "tcg");
  EXPECT_EQ(back->kernel, "6.1.0-56-amd64");
  EXPECT_EQ(back->runs, 5u);
  EXPECT_EQ(back->times, sample().times);
}

TEST_F(BaselineStore, EveryPartOfTheKeyMatters)
{
  const std::string key = baseline_key("b", "r", "k", "rub", "tcg", "lab", 1);
  EXPECT_EQ(key, baseline_key("b", "r", "k", "rub", "tcg", "lab", 1));
  for (const auto& other :
       {baseline_key("B", "r", "k", "rub", "tcg", "lab", 1), baseline_key("b", "R", "k", "rub", "tcg", "lab", 1),
        baseline_key("b", "r", "K", "rub", "tcg", "lab", 1), baseline_key("b", "r", "k", "RUB", "tcg", "lab", 1),
        baseline_key("b", "r", "k", "rub", "kvm", "lab", 1), baseline_key("b", "r", "k", "rub", "tcg", "lab2", 1),
        // One run is not a median of five.
        baseline_key("b", "r", "k", "rub", "tcg", "lab", 5),
        // Fields run together differently are another key.
        baseline_key("b", "r", "k", "rub", "tcgl", "ab", 1)}) {
    EXPECT_NE(key, other);
  }
  save_baseline(m_dir, key, sample());
  EXPECT_FALSE(load_baseline(m_dir, baseline_key("b", "r", "k", "rub", "kvm", "lab", 1)));
}

TEST_F(BaselineStore, AnUnreadableBaselineIsMeasuredAgain)
{
  const std::string key = baseline_key("b", "r", "k", "rub", "tcg", "lab", 1);
  save_baseline(m_dir, key, sample());
  for (const char* broken :
       {"", "{", "{\"measured_at\": 1}", "[]",
        R"({"measured_at":"x","machine":"m","accel":"tcg","kernel":"k","runs":1,"times":{"page_alloc":{"many":1}}})",
        // Without the number of runs its times are the medians of.
        R"({"measured_at":"x","machine":"m","accel":"tcg","kernel":"k","times":{"page_alloc":{"1000":1}}})"}) {
    kmgrade::util::write_file_atomically(m_dir / "baseline" / (key + ".json"), broken);
    EXPECT_FALSE(load_baseline(m_dir, key)) << broken;
  }
}

TEST_F(BaselineStore, ForgettingRemovesEveryBaseline)
{
  const std::string a = baseline_key("b", "r", "k", "rub", "tcg", "lab", 1);
  const std::string b = baseline_key("b", "r", "k", "rub", "kvm", "lab", 1);
  save_baseline(m_dir, a, sample());
  save_baseline(m_dir, b, sample());
  forget_baselines(m_dir);
  EXPECT_FALSE(load_baseline(m_dir, a));
  EXPECT_FALSE(load_baseline(m_dir, b));
  forget_baselines(m_dir); // nothing left to remove is no error
}

TEST(ThisMachine, NamesTheHostAndItsProcessors)
{
  const std::string m = this_machine();
  EXPECT_NE(m.find(" CPUs)"), std::string::npos) << m;
  EXPECT_EQ(m, this_machine());
}

TEST(UtcNow, IsIso8601ToTheSecond)
{
  const std::string t = utc_now();
  ASSERT_EQ(t.size(), 20u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}
