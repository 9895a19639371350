#include "score/score.h"

#include "util/error.h"

namespace kmgrade::score {

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
        cs.verdict = {evaluate::Status::manual, "graded by a person: " + c.message, {}, false};
      } else {
        auto it = verdicts.find(c.id);
        if (it == verdicts.end()) {
          throw Error("internal: no verdict for rubric check " + c.id);
        }
        cs.verdict = it->second;
        if (cs.verdict.status == evaluate::Status::pass) {
          cs.points = c.points * (cs.verdict.on_shimmed_build ? rubric.points_on_shimmed_build : 1.0);
        }
      }
      es.score += cs.points;
      es.checks.push_back(std::move(cs));
    }
    s.score += es.score;
    s.exercises.push_back(std::move(es));
  }
  return s;
}

} // namespace kmgrade::score
