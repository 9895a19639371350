#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::report {

// Points a person awarded for a manual item of an exercise.
struct ManualPoints
{
  std::string participant_id;
  std::string exercise; // "ex0", "ex1", ...
  double points = 0;
  std::string comment;
};

// Reads the TA's file: CSV with the header "participant_id,exercise,points,comment".
// Throws Error naming `origin`, the line and what is wrong.
std::vector<ManualPoints> parse_manual_points(const std::string& csv, const std::string& origin);

// The manual points a person gave a student in one exercise, capped at what the rubric gives
// that exercise by hand, and their comments joined with "; ".
struct ExerciseManual
{
  double points = 0;
  std::string comment;
};

// The student's manual points per exercise id; an exercise nobody gave points to is absent.
std::map<std::string, ExerciseManual> manual_per_exercise(const nlohmann::json& report,
                                                          const std::vector<ManualPoints>& manual);

// The student's manual points, each exercise's capped at what the rubric gives it by hand.
double manual_total(const nlohmann::json& report, const std::vector<ManualPoints>& manual);

// RFC 4180 CSV: rows of fields; quoted fields may hold commas, quotes and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
std::string to_csv(const std::vector<std::vector<std::string>>& rows);
// One record without its line end; a field holding any character of `quote_when` is quoted.
std::string csv_record(const std::vector<std::string>& fields, std::string_view quote_when);

// The students' reports (each with "student": {"id", "full_name"}) as the class files.
// Manual points of an exercise are capped at what the rubric gives that exercise's manual
// items; they add to the total and never change the automatic score.
std::string summary_csv(const std::vector<nlohmann::json>& reports, const std::vector<ManualPoints>& manual);
std::string moodle_worksheet(const std::vector<nlohmann::json>& reports, const std::vector<ManualPoints>& manual,
                             const std::string& last_modified);
nlohmann::json gradescope_results(const nlohmann::json& report, const std::vector<ManualPoints>& manual);

// The feedback a student reads: per exercise the points, and each check that lost points
// with its message. Plain text (Gradescope's output), one line per exercise and lost check.
std::string feedback_text(const nlohmann::json& report, const std::vector<ManualPoints>& manual);

// Names kmgrade in the feedback it writes, so a later fill of the worksheet knows which
// feedback it may replace.
inline constexpr const char* k_feedback_signature = "graded by kmgrade";

// The same feedback as HTML, which Moodle stores the feedback comment as: a list per
// exercise, every message escaped and cut to a length Moodle's grading page shows.
// `grade_in_assignment`, when given, is the grade as the assignment counts it ("78.13 of 100").
std::string feedback_html(const nlohmann::json& report, const std::vector<ManualPoints>& manual,
                          const std::string& grade_in_assignment = "");

// Text as HTML shows it: markup characters escaped, line breaks as <br>.
std::string html_escaped(std::string_view text);

} // namespace kmgrade::report
