#pragma once

#include "report/exports.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::report {

// The header names Moodle gives the worksheet's columns in one language: the language of the
// person who downloads the worksheet and imports it, whose importer finds the columns by
// these names.
struct WorksheetLanguage
{
  std::string code;                // "en", "de", ...
  std::string identifier;          // the "Identifier" column
  std::vector<std::string> grade;  // the "Grade" column (Moodle versions differ)
  std::string maximum_grade;       // "Maximum Grade"
  std::string last_modified_grade; // "Last modified (grade)"
  std::string feedback_comments;   // "Feedback comments"
};

// Every language kmgrade reads worksheets in.
const std::vector<WorksheetLanguage>& worksheet_languages();

// Moodle's offline grading worksheet ("Download grading worksheet") as a TA downloaded it.
// What kmgrade does not fill is written back as it was read: the header line byte for
// byte, and every row it does not fill.
struct Worksheet
{
  struct Row
  {
    std::string text; // as read, without its line end
    std::vector<std::string> fields;
    std::string participant; // the participant number of the Identifier column
  };

  std::string origin;   // the file, for messages
  std::string language; // the code of the language of its headers
  std::string header;   // the header line as read (with a byte order mark, if it had one)
  std::vector<std::string> columns;
  std::string line_end; // the line end the file uses
  bool ends_with_line_end = true;
  std::vector<Row> rows;
  std::size_t identifier = 0;
  std::size_t grade = 0;
  std::size_t maximum_grade = 0;
  std::size_t last_modified_grade = 0;
  std::optional<std::size_t> feedback; // absent when the assignment has no feedback comments
};

// Reads a worksheet. Throws Error naming `origin` and what does not match Moodle's worksheet:
// a column missing, headers in a language kmgrade does not know, a row that is not a
// participant's, a maximum grade that is not a number of points.
Worksheet parse_worksheet(const std::string& text, const std::string& origin);

// A student of the class being graded.
struct ClassMember
{
  std::string id;
  std::string full_name;
};

// Throws Error naming every student of the class the worksheet has no row for: such a
// worksheet belongs to another assignment (or an older download of this one).
void check_worksheet_covers(const Worksheet& worksheet, const std::vector<ClassMember>& students);

// The maximum grade of the row (the assignment's maximum) and how Moodle writes its numbers.
struct GradeScale
{
  double maximum = 0;
  char decimal_separator = '.';
  int decimals = 2;
};
GradeScale grade_scale(const Worksheet& worksheet, const Worksheet::Row& row);

// `points` of `out_of` scaled to the scale's maximum and written as Moodle shows a grade:
// rounded half away from zero to the scale's decimals, with its decimal separator.
std::string scaled_grade(double points, double out_of, const GradeScale& scale);

struct FilledWorksheet
{
  std::string csv;
  std::size_t filled = 0;                       // rows given a grade
  std::vector<std::string> unfilled;            // participants of the worksheet kmgrade has no report for
  std::string maximum;                          // the maximum grade as the worksheet writes it
  std::vector<std::string> filled_participants; // the participants of the rows given a grade
};

// The worksheet with, for every student with a report, the grade (automatic plus manual
// points, scaled to the row's maximum) and the feedback as HTML. Feedback a person wrote is
// kept, above a rule; kmgrade's own earlier feedback is replaced.
FilledWorksheet fill_worksheet(const Worksheet& worksheet, const std::vector<nlohmann::json>& reports,
                               const std::vector<ManualPoints>& manual);

// What the upload of a filled worksheet has to get past in Moodle: the rows kmgrade filled, and
// how many of them Moodle had graded already when the worksheet was downloaded (a grade, or a
// "Last modified (grade)" date rather than "-"). Moodle's importer skips such a row whole, grade
// and feedback, when that date reads as older than the grade's last change in Moodle, which
// is every such row when the worksheet was downloaded in a time zone west of the server's.
struct WorksheetRegrade
{
  std::size_t filled = 0;
  std::size_t already_graded = 0;
};
WorksheetRegrade worksheet_regrade(const Worksheet& worksheet, const FilledWorksheet& filled);

} // namespace kmgrade::report
