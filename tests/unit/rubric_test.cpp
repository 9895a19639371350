#include "score/rubric.h"
#include "score/score.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace kmgrade;

namespace {

std::string rubric_text()
{
  std::ifstream in(KMGRADE_RUBRIC);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST(Rubric, DefaultLab5RubricSumsToEight)
{
  auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_EQ(r.id, "lab5");
  EXPECT_DOUBLE_EQ(r.max_score, 8.0);
  EXPECT_DOUBLE_EQ(r.auto_max() + r.manual_max(), 8.0);
  EXPECT_EQ(r.modules.size(), 3u);
  EXPECT_EQ(r.sha256.size(), 64u);
  ASSERT_NE(r.module("page_alloc"), nullptr);
  EXPECT_NE(r.module("page_alloc")->module_name, "page_alloc"); // built-in mm/page_alloc.c owns that name
}

TEST(Rubric, SimilarityThresholdFromItsBlockOrSixty)
{
  std::string text = rubric_text();
  EXPECT_EQ(score::parse_rubric(text, "lab5.json").similarity_threshold, 75);
  const std::string block = "\"similarity\": {\"threshold\": 75, \"min_run\": 16},";
  const auto at = text.find(block);
  ASSERT_NE(at, std::string::npos);
  std::string other = text;
  other.replace(at, block.size(), "\"similarity\": {\"threshold\": 70},");
  EXPECT_EQ(score::parse_rubric(other, "70.json").similarity_threshold, 70);
  other = text;
  other.erase(at, block.size());
  EXPECT_EQ(score::parse_rubric(other, "none.json").similarity_threshold, 60);
  other = text;
  other.replace(at, block.size(), "\"similarity\": {\"threshold\": 0},");
  EXPECT_THROW(score::parse_rubric(other, "zero.json"), Error);
}

TEST(Rubric, SimilarityMinRunFromItsBlockOrSimCsDefault)
{
  std::string text = rubric_text();
  const auto at = text.find("\"similarity\": {");
  ASSERT_NE(at, std::string::npos);
  const auto length = text.find("},", at) + 2 - at;
  const auto with = [&](const std::string& inside) {
    std::string other = text;
    other.replace(at, length, "\"similarity\": {" + inside + "},");
    return other;
  };
  EXPECT_EQ(score::parse_rubric(text, "lab5.json").similarity_min_run, 16);
  EXPECT_EQ(score::parse_rubric(with("\"threshold\": 60"), "absent.json").similarity_min_run, 24);
  EXPECT_EQ(score::parse_rubric(with("\"threshold\": 60, \"min_run\": 12"), "12.json").similarity_min_run, 12);
  std::string none = text;
  none.erase(at, length);
  EXPECT_EQ(score::parse_rubric(none, "none.json").similarity_min_run, 24);
  for (const auto* bad : {"1", "201", "-3"}) {
    try {
      score::parse_rubric(with(std::string("\"threshold\": 60, \"min_run\": ") + bad), "bad.json");
      FAIL() << "accepted similarity.min_run " << bad;
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "invalid rubric bad.json: similarity.min_run must be a number of tokens from 2 to 200");
    }
  }
  EXPECT_THROW(score::parse_rubric(with("\"threshold\": 60, \"min_run\": \"16\""), "text.json"), Error);
}

TEST(Rubric, RejectsPointsThatDoNotAddUp)
{
  std::string text = rubric_text();
  text.replace(text.find("\"max_score\": 8.0"), 16, "\"max_score\": 9.0");
  try {
    score::parse_rubric(text, "broken.json");
    FAIL() << "accepted a rubric whose points do not add up";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.json: points add up to 8"), std::string::npos) << e.what();
  }
}

TEST(Rubric, RejectsACheckOfAnUnknownModule)
{
  std::string text = rubric_text();
  text.replace(text.find("\"page_alloc.order\""), 18, "\"page_aloc.order\"");
  EXPECT_THROW(score::parse_rubric(text, "typo.json"), Error);
}

TEST(Rubric, RejectsACheckKmgradeDoesNotHaveWhenLoaded)
{
  std::string text = rubric_text();
  text.replace(text.find("\"page_alloc.order\""), 18, "\"page_alloc.ordr\"");
  try {
    score::parse_rubric(text, "typo.json");
    FAIL() << "accepted a rubric with a check kmgrade does not have";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid rubric typo.json: check page_alloc.ordr is not a check kmgrade has for module "
                           "page_alloc (see lab5-checks.md for the check ids)");
  }
  // A check of one module is not a check of another.
  text = rubric_text();
  text.replace(text.find("\"kmem_alloc.loop\""), 17, "\"kmem_alloc.order\"");
  EXPECT_THROW(score::parse_rubric(text, "moved.json"), Error);
}

TEST(Rubric, TheReportsObjnumsAreTimedOnesAndDefaultToAllOfThem)
{
  const auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_EQ(r.timing.report_objnums, (std::vector<unsigned>{1000, 2000, 4000})) << "Exercises 3 to 5 ask for these";
  std::string text = rubric_text();
  const std::string line = "\"report_objnums\": [1000, 2000, 4000],";
  ASSERT_NE(text.find(line), std::string::npos);
  std::string without = text;
  without.erase(without.find(line), line.size());
  EXPECT_EQ(score::parse_rubric(without, "plain.json").timing.report_objnums, r.timing.objnums);
  text.replace(text.find(line), line.size(), "\"report_objnums\": [1000, 3000],");
  try {
    score::parse_rubric(text, "untimed.json");
    FAIL() << "accepted an objnum for the report that is never timed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("untimed.json: timing.report_objnums holds 3000"), std::string::npos)
      << e.what();
  }
}

TEST(Score, PointsFollowVerdictsAndSumUp)
{
  auto r = score::load_rubric(KMGRADE_RUBRIC);
  std::map<std::string, evaluate::Verdict> verdicts;
  for (const auto& ex : r.exercises) {
    for (const auto& c : ex.checks) {
      if (!c.manual) {
        verdicts[c.id] = {evaluate::Status::pass, "ok", {}, false};
      }
    }
  }
  verdicts["page_alloc.order"].status = evaluate::Status::fail;
  verdicts["kmem_alloc.loop"].on_shimmed_build = true;
  r.points_on_shimmed_build = 0.5;
  auto s = score::apply_rubric(r, verdicts);
  EXPECT_DOUBLE_EQ(s.score, r.auto_max() - 0.5 - 0.25);
  double sum = 0;
  for (const auto& ex : s.exercises) {
    double ex_sum = 0;
    for (const auto& c : ex.checks) {
      ex_sum += c.points;
      EXPECT_LE(c.points, c.max_points);
      if (c.id.rfind("manual.", 0) == 0) {
        EXPECT_EQ(c.verdict.status, evaluate::Status::manual);
      }
    }
    EXPECT_DOUBLE_EQ(ex.score, ex_sum);
    sum += ex.score;
  }
  EXPECT_DOUBLE_EQ(s.score, sum);
  EXPECT_DOUBLE_EQ(s.manual_pending, r.manual_max());
}

TEST(Score, AMissingVerdictIsAnError)
{
  auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_THROW(score::apply_rubric(r, {}), Error);
}
