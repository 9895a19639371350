#include "score/score.h"

#include "util/error.h"

namespace kmgrade::score {

namespace {

double passed_share(const std::vector<evaluate::TestOutcome>& tests)
{
  double passed = 0;
  double all = 0;
  for (const auto& t : tests) {
    all += t.points;
    passed += t.status == evaluate::Status::pass ? t.points : 0;
  }
  return all > 0 ? passed / all : 0;
}

// The course checker's score: a test passes by its own rule, in a load that ran, unless the
// checker would have stopped at an earlier one; a check that did not run (the file did not
// compile) passes none of its tests.
OfficialScore official_score(const Rubric& rubric, const OfficialChecker& checker,
                             const std::map<std::string, evaluate::Verdict>& verdicts)
{
  OfficialScore o{checker.name, 0, checker.max_score, {}, ""};
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      const auto verdict = verdicts.find(c.id);
      for (const auto& t : c.tests) {
        if (!t.official) {
          continue;
        }
        const std::string name = t.printed_as.empty() ? t.name : t.printed_as;
        bool passed = false;
        if (verdict != verdicts.end() && o.halted_at.empty()) {
          for (const auto& outcome : verdict->second.tests) {
            if (outcome.name == t.name) {
              passed = outcome.official_passed;
              if (!outcome.halts_checker.empty()) {
                o.halted_at = name + ": " + outcome.halts_checker;
              }
            }
          }
        }
        if (passed) {
          o.score += t.points;
        } else {
          o.failed.push_back(name);
        }
      }
    }
  }
  return o;
}

} // namespace

Score apply_rubric(const Rubric& rubric, const std::map<std::string, evaluate::Verdict>& verdicts)
{
  Score s;
  s.max_score = rubric.max_score;
  s.auto_max = rubric.auto_max();
  s.manual_pending = rubric.manual_max();
  for (const auto& ex : rubric.exercises) {
    ExerciseScore es{ex.id, ex.title, 0, 0, {}};
    for (const auto& c : ex.checks) {
      CheckScore cs;
      cs.id = c.id;
      cs.max_points = c.points;
      es.max_score += c.points;
      if (c.manual) {
        cs.verdict = {evaluate::Status::manual, "graded by a person: " + c.message, {}, false, {}};
      } else {
        auto it = verdicts.find(c.id);
        if (it == verdicts.end()) {
          throw Error("internal: no verdict for rubric check " + c.id);
        }
        cs.verdict = it->second;
        const double build_share = cs.verdict.on_shimmed_build ? rubric.points_on_shimmed_build : 1.0;
        if (!cs.verdict.tests.empty()) {
          cs.points = c.points * build_share * passed_share(cs.verdict.tests);
        } else if (cs.verdict.status == evaluate::Status::pass) {
          cs.points = c.points * build_share;
        }
      }
      es.score += cs.points;
      es.checks.push_back(std::move(cs));
    }
    s.score += es.score;
    s.exercises.push_back(std::move(es));
  }
  if (rubric.official) {
    s.official = official_score(rubric, *rubric.official, verdicts);
  }
  return s;
}

} // namespace kmgrade::score
