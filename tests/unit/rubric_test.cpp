#include "score/rubric.h"
#include "score/score.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

using namespace kmgrade;

namespace {

std::string rubric_text()
{
  std::ifstream in(KMGRADE_RUBRIC);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// lab5.json with `change` made to its JSON, as text again.
std::string edited_rubric(const std::function<void(nlohmann::json&)>& change)
{
  auto j = nlohmann::json::parse(rubric_text());
  change(j);
  return j.dump(2);
}

// The check `id` of the rubric's exercises.
nlohmann::json& check_of(nlohmann::json& rubric, const std::string& id)
{
  for (auto& ex : rubric.at("exercises")) {
    for (auto& c : ex.at("checks")) {
      if (c.at("id") == id) {
        return c;
      }
    }
  }
  throw std::out_of_range("lab5.json has no check " + id);
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
  EXPECT_EQ(score::parse_rubric(rubric_text(), "lab5.json").similarity_threshold, 75);
  const nlohmann::json lab5 = {{"threshold", 75}, {"min_run", 16}};
  ASSERT_EQ(nlohmann::json::parse(rubric_text()).at("similarity"), lab5);
  const auto similarity = [](const nlohmann::json& block) {
    return edited_rubric([&](nlohmann::json& j) { j["similarity"] = block; });
  };
  EXPECT_EQ(score::parse_rubric(similarity({{"threshold", 70}}), "70.json").similarity_threshold, 70);
  const auto none = edited_rubric([](nlohmann::json& j) { j.erase("similarity"); });
  EXPECT_EQ(score::parse_rubric(none, "none.json").similarity_threshold, 60);
  EXPECT_THROW(score::parse_rubric(similarity({{"threshold", 0}}), "zero.json"), Error);
}

TEST(Rubric, SimilarityMinRunFromItsBlockOrSimCsDefault)
{
  const auto with = [](const nlohmann::json& block) {
    return edited_rubric([&](nlohmann::json& j) { j["similarity"] = block; });
  };
  EXPECT_EQ(score::parse_rubric(rubric_text(), "lab5.json").similarity_min_run, 16);
  EXPECT_EQ(score::parse_rubric(with({{"threshold", 60}}), "absent.json").similarity_min_run, 24);
  EXPECT_EQ(score::parse_rubric(with({{"threshold", 60}, {"min_run", 12}}), "12.json").similarity_min_run, 12);
  const auto none = edited_rubric([](nlohmann::json& j) { j.erase("similarity"); });
  EXPECT_EQ(score::parse_rubric(none, "none.json").similarity_min_run, 24);
  for (const int bad : {1, 201, -3}) {
    try {
      score::parse_rubric(with({{"threshold", 60}, {"min_run", bad}}), "bad.json");
      FAIL() << "accepted similarity.min_run " << bad;
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "invalid rubric bad.json: similarity.min_run must be a number of tokens from 2 to 200");
    }
  }
  EXPECT_THROW(score::parse_rubric(with({{"threshold", 60}, {"min_run", "16"}}), "text.json"), Error);
}

TEST(Rubric, RejectsPointsThatDoNotAddUp)
{
  const auto text = edited_rubric([](nlohmann::json& j) {
    ASSERT_EQ(j.at("max_score"), 8.0);
    j["max_score"] = 9.0;
  });
  try {
    score::parse_rubric(text, "broken.json");
    FAIL() << "accepted a rubric whose points do not add up";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.json: points add up to 8"), std::string::npos) << e.what();
  }
}

TEST(Rubric, RejectsACheckOfAnUnknownModule)
{
  const auto text = edited_rubric([](nlohmann::json& j) { check_of(j, "page_alloc.order")["id"] = "page_aloc.order"; });
  EXPECT_THROW(score::parse_rubric(text, "typo.json"), Error);
}

TEST(Rubric, RejectsACheckKmgradeDoesNotHaveWhenLoaded)
{
  const auto text = edited_rubric([](nlohmann::json& j) { check_of(j, "page_alloc.order")["id"] = "page_alloc.ordr"; });
  try {
    score::parse_rubric(text, "typo.json");
    FAIL() << "accepted a rubric with a check kmgrade does not have";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid rubric typo.json: check page_alloc.ordr is not a check kmgrade has for module "
                           "page_alloc (see lab5-checks.md for the check ids)");
  }
  // A check of one module is not a check of another.
  const auto moved =
    edited_rubric([](nlohmann::json& j) { check_of(j, "kmem_alloc.loop")["id"] = "kmem_alloc.order"; });
  EXPECT_THROW(score::parse_rubric(moved, "moved.json"), Error);
}

TEST(Rubric, TheReportsObjnumsAreTimedOnesAndDefaultToAllOfThem)
{
  const auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_EQ(r.timing.report_objnums, (std::vector<unsigned>{1000, 2000, 4000})) << "Exercises 3 to 5 ask for these";
  ASSERT_TRUE(nlohmann::json::parse(rubric_text()).at("timing").contains("report_objnums"));
  const auto without = edited_rubric([](nlohmann::json& j) { j.at("timing").erase("report_objnums"); });
  EXPECT_EQ(score::parse_rubric(without, "plain.json").timing.report_objnums, r.timing.objnums);
  const auto text = edited_rubric([](nlohmann::json& j) { j.at("timing")["report_objnums"] = {1000, 3000}; });
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
