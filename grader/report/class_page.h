#pragma once

#include "report/exports.h"
#include "score/rubric.h"
#include "similarity/class_similarity.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kmgrade::report {

// A student of the class who has no report: their grading failed.
struct FailedStudent
{
  std::string id;
  std::string full_name;
  std::string why;  // the failure, in words for the TA
  std::string kept; // "failed/<id>" when their builds and VM log are kept there, else empty
};

// One bar of the score histogram: the students whose total is in [from, to) (the last bar
// also holds `to` itself, the maximum).
struct HistogramBin
{
  double from = 0;
  double to = 0;
  int students = 0;
};

// Bins of `width` points from 0 to `max` covering every total; a total outside [0, max]
// counts in the first or last bin. `width` and `max` must be positive.
std::vector<HistogramBin> score_histogram(const std::vector<double>& totals, double max, double width);

// An automatic check that cost students points.
struct CheckCost
{
  std::string check;          // "hello.thread"
  std::string exercise;       // "ex3"
  std::string exercise_title; // the rubric's title of that exercise
  std::string description;    // the rubric's message for the check, when it has one
  int students = 0;           // how many lost points on it
  double points_lost = 0;     // summed over those students
};

// Every automatic check that cost at least one student points, most points lost first (then
// most students, then by id). Exercises and descriptions come from `rubric`; a check it does
// not name keeps the exercise the report puts it in.
std::vector<CheckCost> most_failed_checks(const std::vector<nlohmann::json>& reports, const score::Rubric& rubric);

// What the class page is drawn from.
struct ClassPageInput
{
  std::string title;                                       // "Lab 5: Kernel Memory Management"
  std::vector<nlohmann::json> reports;                     // each with "student": {"id", "full_name"}
  std::vector<FailedStudent> failed;                       // students without a report
  std::vector<ManualPoints> manual;                        // the TA's manual points, possibly none
  const score::Rubric* rubric = nullptr;                   // must be set
  const similarity::ClassSimilarity* similarity = nullptr; // nullptr: the class was not compared
  std::string generated_at;                                // shown in the page's header, as given
};

// DIR/index.html of a batch: the score histogram (inline SVG), the most-failed checks, the
// similarity clusters with links to their side-by-side views, and a row per student linking
// to students/<id>.html; failed students are listed with why. One self-contained file: inline
// CSS, no script, nothing fetched. Everything taken from a report is escaped.
std::string class_page(const ClassPageInput& input);

// DIR/students/<id>.html: every check with its verdict, points, message and evidence, the
// timing table and the report's notes; links back to ../index.html and ../reports/<id>.json.
std::string student_page(const nlohmann::json& report, const std::vector<ManualPoints>& manual);

// The file name of a student's page under DIR/students: "<id>.html".
std::string student_page_name(const std::string& id);

} // namespace kmgrade::report
