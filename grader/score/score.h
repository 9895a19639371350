#pragma once

#include "evaluate/verdict.h"
#include "score/rubric.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::score {

struct CheckScore
{
  std::string id;
  evaluate::Verdict verdict;
  double points = 0;
  double max_points = 0;
};

struct ExerciseScore
{
  std::string id;
  std::string title;
  double score = 0;
  double max_score = 0;
  std::vector<CheckScore> checks;
};

// What the course's own checker would give: the lab's official tests, decided by its rules.
struct OfficialScore
{
  std::string checker; // the rubric's official.name
  double score = 0;
  double max_score = 0;
  std::vector<std::string> failed; // the tests it fails, as the checker prints their names
  // The test the checker would never get past, and why: it runs its tests one after another,
  // so every test after that one is failed too; "" when it would run them all.
  std::string halted_at;
};

struct Score
{
  double score = 0;          // automatic points earned
  double max_score = 0;      // the whole lab
  double auto_max = 0;       // what automatic checks can award
  double manual_pending = 0; // manual points a person still has to award
  std::vector<ExerciseScore> exercises;
  std::optional<OfficialScore> official; // when the lab names its course's checker
};

// Awards the rubric's points: a pass earns a check's points (scaled by
// points_on_shimmed_build when graded on a compatibility build), anything else none; a
// scenario check earns the share of its points that its passed tests hold. With the lab's
// official checker, also adds up what that checker would give.
// Manual checks become `manual` verdicts carrying the rubric's message. `verdicts` must
// hold every automatic check of the rubric.
Score apply_rubric(const Rubric& rubric, const std::map<std::string, evaluate::Verdict>& verdicts);

} // namespace kmgrade::score
