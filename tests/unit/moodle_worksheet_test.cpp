// Moodle's grading worksheet, as Moodle exports it (samples/moodle-worksheet*.csv), filled in
// the way Moodle's importer reads it back.

#include "report/moodle_worksheet.h"
#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>

using namespace kmgrade;

namespace {

const std::string k_samples = KMGRADE_SAMPLES;

// A report cut down to what the worksheet reads: `score` of 8 points, one failed check.
nlohmann::json report_of(const std::string& id, double score, const std::string& message = "expected order 0")
{
  return {{"student", {{"id", id}, {"full_name", "Student " + id}}},
          {"score", score},
          {"max_score", 8.0},
          {"exercises",
           {{{"id", "ex3"},
             {"title", "Page-level allocation"},
             {"score", score},
             {"max_score", 8.0},
             {"checks",
              {{{"id", "page_alloc.order"},
                {"status", score < 8 ? "fail" : "pass"},
                {"points", score},
                {"max_points", 8.0},
                {"message", message},
                {"evidence", nlohmann::json::array()}}}}}}}};
}

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', start)) {
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

std::string error_of(const std::string& text)
{
  try {
    report::parse_worksheet(text, "sheet.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const report::Worksheet::Row& row_of(const report::Worksheet& w, const std::string& participant)
{
  for (const auto& r : w.rows) {
    if (r.participant == participant) {
      return r;
    }
  }
  throw std::runtime_error("no row for " + participant);
}

} // namespace

TEST(MoodleWorksheet, ReadsTheEnglishSampleAsMoodleExportsIt)
{
  const auto w = report::parse_worksheet(util::read_file(k_samples + "/moodle-worksheet.csv"), "moodle-worksheet.csv");
  EXPECT_EQ(w.language, "en");
  ASSERT_EQ(w.rows.size(), 10u);
  EXPECT_EQ(w.columns[w.identifier], "Identifier");
  EXPECT_EQ(w.columns[w.grade], "Grade");
  EXPECT_EQ(w.columns[w.maximum_grade], "Maximum Grade");
  ASSERT_TRUE(w.feedback.has_value());
  EXPECT_EQ(w.columns[*w.feedback], "Feedback comments");
  EXPECT_EQ(w.rows.front().participant, "101");
  const auto scale = report::grade_scale(w, w.rows.front());
  EXPECT_DOUBLE_EQ(scale.maximum, 100.0);
  EXPECT_EQ(scale.decimal_separator, '.');
  EXPECT_EQ(scale.decimals, 2);
}

TEST(MoodleWorksheet, KeepsTheHeaderAndUnfilledRowsByteForByteAndScalesGrades)
{
  const std::string text = util::read_file(k_samples + "/moodle-worksheet.csv");
  const auto w = report::parse_worksheet(text, "moodle-worksheet.csv");
  const auto filled = report::fill_worksheet(w, {report_of("101", 6.25), report_of("102", 5.75)}, {});
  EXPECT_EQ(filled.filled, 2u);
  EXPECT_EQ(filled.maximum, "100.00");
  EXPECT_EQ(filled.unfilled, (std::vector<std::string>{"103", "104", "105", "106", "107", "108", "109", "110"}));

  const auto in = lines_of(text);
  const auto out = lines_of(filled.csv);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(out.front(), in.front()) << "the header line must be written back as Moodle wrote it";
  for (std::size_t i = 3; i < in.size(); ++i) {
    EXPECT_EQ(out[i], in[i]) << "line " << i + 1 << " has no report and must stay as it was";
  }

  const auto again = report::parse_worksheet(filled.csv, "moodle-grades.csv");
  ASSERT_EQ(again.rows.size(), w.rows.size());
  EXPECT_EQ(row_of(again, "101").fields[again.grade], "78.13"); // 6.25 of 8 is 78.125 of 100
  EXPECT_EQ(row_of(again, "102").fields[again.grade], "71.88"); // 5.75 of 8 is 71.875
  for (std::size_t c = 0; c < w.columns.size(); ++c) {
    if (c != w.grade && c != *w.feedback) {
      EXPECT_EQ(row_of(again, "101").fields[c], row_of(w, "101").fields[c]) << w.columns[c];
    }
  }
  const std::string feedback = row_of(again, "101").fields[*again.feedback];
  EXPECT_NE(feedback.find("<strong>6.25 of 8 points</strong>, 78.13 of 100.00 in this assignment"), std::string::npos)
    << feedback;
  EXPECT_NE(feedback.find("<li><strong>page_alloc.order</strong> (fail): expected order 0</li>"), std::string::npos)
    << feedback;
}

TEST(MoodleWorksheet, EscapesFeedbackSoMoodleShowsItAsWritten)
{
  const auto w = report::parse_worksheet(util::read_file(k_samples + "/moodle-worksheet.csv"), "moodle-worksheet.csv");
  const auto filled =
    report::fill_worksheet(w, {report_of("101", 4, "include <linux/slab.h> & check a < b\nthen \"reload\"")}, {});
  const auto again = report::parse_worksheet(filled.csv, "moodle-grades.csv");
  const std::string feedback = row_of(again, "101").fields[*again.feedback];
  EXPECT_NE(feedback.find("include &lt;linux/slab.h&gt; &amp; check a &lt; b<br>then &quot;reload&quot;"),
            std::string::npos)
    << feedback;
  EXPECT_EQ(feedback.find("<linux"), std::string::npos);
  EXPECT_EQ(feedback.find('\n'), std::string::npos);
  EXPECT_EQ(row_of(again, "101").fields[again.grade], "50.00");
}

TEST(MoodleWorksheet, KeepsFeedbackAPersonWroteAndReplacesItsOwn)
{
  const std::string header = "Identifier,Grade,\"Maximum Grade\",\"Last modified (grade)\",\"Feedback comments\"\n";
  auto w = report::parse_worksheet(header + "\"Participant 1\",,8.00,-,\"<p>Nice report</p>\"\n", "sheet.csv");
  auto first = report::fill_worksheet(w, {report_of("1", 8)}, {});
  const auto once = report::parse_worksheet(first.csv, "sheet.csv");
  const std::string kept = once.rows[0].fields[*once.feedback];
  EXPECT_EQ(kept.rfind("<p>Nice report</p><hr><p><strong>8 of 8 points</strong>", 0), 0u) << kept;
  EXPECT_EQ(once.rows[0].fields[once.grade], "8.00");

  auto second = report::fill_worksheet(once, {report_of("1", 7)}, {});
  const auto twice = report::parse_worksheet(second.csv, "sheet.csv");
  const std::string replaced = twice.rows[0].fields[*twice.feedback];
  EXPECT_EQ(replaced.rfind("<p>Nice report</p><hr><p><strong>7 of 8 points</strong>", 0), 0u) << replaced;
  EXPECT_EQ(replaced.find("8 of 8 points"), std::string::npos) << replaced;

  auto only_ours = report::parse_worksheet(header + "\"Participant 1\",,8.00,-,\"<p><strong>5 of 8 points</strong> "
                                                    "(graded by kmgrade)</p>\"\n",
                                           "sheet.csv");
  const auto third =
    report::parse_worksheet(report::fill_worksheet(only_ours, {report_of("1", 7)}, {}).csv, "sheet.csv");
  EXPECT_EQ(third.rows[0].fields[*third.feedback].rfind("<p><strong>7 of 8 points</strong>", 0), 0u);
}

TEST(MoodleWorksheet, ReadsAWorksheetOfASiteInGerman)
{
  const std::string text = util::read_file(k_samples + "/moodle-worksheet-de.csv");
  const auto w = report::parse_worksheet(text, "moodle-worksheet-de.csv");
  EXPECT_EQ(w.language, "de");
  ASSERT_TRUE(w.feedback.has_value());
  const auto scale = report::grade_scale(w, w.rows.front());
  EXPECT_EQ(scale.decimal_separator, ',');
  const auto filled = report::fill_worksheet(w, {report_of("101", 6.25)}, {});
  EXPECT_EQ(lines_of(filled.csv).front(), lines_of(text).front());
  const auto again = report::parse_worksheet(filled.csv, "moodle-grades.csv");
  EXPECT_EQ(row_of(again, "101").fields[again.grade], "78,13");
}

TEST(MoodleWorksheet, KeepsByteOrderMarkAndWindowsLineEnds)
{
  const std::string text = "\xEF\xBB\xBFIdentifier,Grade,\"Maximum Grade\",\"Last modified (grade)\"\r\n"
                           "\"Participant 1\",,20.0,-\r\n"
                           "\"Participant 2\",,20.0,-\r\n";
  const auto w = report::parse_worksheet(text, "sheet.csv");
  EXPECT_FALSE(w.feedback.has_value());
  const auto filled = report::fill_worksheet(w, {report_of("1", 6.25)}, {});
  EXPECT_EQ(filled.csv, "\xEF\xBB\xBFIdentifier,Grade,\"Maximum Grade\",\"Last modified (grade)\"\r\n"
                        "\"Participant 1\",15.6,20.0,-\r\n"
                        "\"Participant 2\",,20.0,-\r\n");
}

TEST(MoodleWorksheet, ScalesAndRoundsAsMoodleShowsGrades)
{
  EXPECT_EQ(report::scaled_grade(6.25, 8, {100, '.', 2}), "78.13");
  EXPECT_EQ(report::scaled_grade(8, 8, {100, '.', 2}), "100.00");
  EXPECT_EQ(report::scaled_grade(0, 8, {100, '.', 2}), "0.00");
  EXPECT_EQ(report::scaled_grade(6.25, 8, {8, '.', 2}), "6.25");
  EXPECT_EQ(report::scaled_grade(6.25, 8, {10, ',', 1}), "7,8"); // 7.8125
  EXPECT_EQ(report::scaled_grade(6.25, 8, {20, '.', 0}), "16");  // 15.625
  EXPECT_EQ(report::scaled_grade(0.35, 1, {100, '.', 0}), "35");
}

TEST(MoodleWorksheet, RefusesAWorksheetOfAnotherClassNamingWhoIsMissing)
{
  const auto w = report::parse_worksheet(util::read_file(k_samples + "/moodle-worksheet.csv"), "moodle-worksheet.csv");
  EXPECT_NO_THROW(report::check_worksheet_covers(w, {{"101", "Ada Lovelace"}, {"106", "Participant 106"}}));
  try {
    report::check_worksheet_covers(w, {{"101", "Ada Lovelace"}, {"201", "Ken Thompson"}, {"202", "Participant 202"}});
    FAIL() << "a worksheet without rows for 201 and 202 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "the grading worksheet moodle-worksheet.csv has no row for 2 of the 3 students of "
                                     "the class: Ken Thompson (201), Participant 202. Download the worksheet and the "
                                     "submissions from the same assignment");
  }
}

TEST(MoodleWorksheet, RefusesWhatIsNotMoodlesWorksheetSayingWhy)
{
  EXPECT_EQ(error_of(""), "the grading worksheet sheet.csv is empty: download it again from the assignment (View all "
                          "submissions > Grading action > Download grading worksheet)");
  EXPECT_EQ(
    error_of("participant_id,exercise,points,comment\n7,ex0,1,x\n"),
    "the grading worksheet sheet.csv is not one Moodle exported in a language kmgrade knows (" +
      [] {
        std::string codes;
        for (const auto& l : report::worksheet_languages()) {
          codes += (codes.empty() ? "" : ", ") + l.code;
        }
        return codes;
      }() +
      "): it needs the columns Identifier, Grade and Last modified (grade) in one of them, and its columns "
      "are \"participant_id\", \"exercise\", \"points\", \"comment\". Switch your Moodle language (user menu "
      "> Language) to one of these, download the worksheet again and import it in the same language");
  EXPECT_EQ(error_of("Identifier,Grade,\"Last modified (grade)\"\n\"Participant 1\",,-\n"),
            "the grading worksheet sheet.csv has no \"Maximum Grade\" column, which kmgrade scales grades to. Moodle "
            "leaves it out when the assignment is graded with a scale or not at all: set its grade type to Point "
            "(Edit settings > Grade > Type) and download the worksheet again");
  const std::string header = "Identifier,Grade,\"Maximum Grade\",\"Last modified (grade)\"\n";
  EXPECT_EQ(error_of(header + "\"Participant 1\",,100.00\n"),
            "the grading worksheet sheet.csv, row 2 has 3 fields where the header has 4");
  EXPECT_EQ(error_of(header + "Ada,,100.00,-\n"),
            "the grading worksheet sheet.csv, row 2: \"Ada\" in column \"Identifier\" is not a participant "
            "(\"Participant 123\" in English)");
  EXPECT_EQ(error_of(header + "\"Participant 1\",,100.00,-\nStudent2,,100.00,-\n"),
            "the grading worksheet sheet.csv, row 3: \"Student2\" does not start with \"Participant \" as the rows "
            "before it do");
  EXPECT_EQ(error_of(header + "\"Participant 1\",,100.00,-\n\"Participant 1\",,100.00,-\n"),
            "the grading worksheet sheet.csv, row 3: participant 1 has a row already");
  EXPECT_EQ(error_of(header + "\"Participant 1\",,Pass/Fail,-\n"),
            "the grading worksheet sheet.csv: participant 1's maximum grade \"Pass/Fail\" is not a number of points. "
            "kmgrade writes points: set the assignment's grade type to Point (Edit settings > Grade > Type)");
}

TEST(MoodleWorksheet, CountsTheFilledRowsMoodleHadGradedAlready)
{
  // In the sample, 103 has a grade and a "Last modified (grade)" date; every other row has "-".
  const auto w = report::parse_worksheet(util::read_file(k_samples + "/moodle-worksheet.csv"), "moodle-worksheet.csv");
  EXPECT_EQ(w.columns[w.last_modified_grade], "Last modified (grade)");
  auto regrade =
    report::worksheet_regrade(w, report::fill_worksheet(w, {report_of("101", 6), report_of("102", 5)}, {}));
  EXPECT_EQ(regrade.filled, 2u);
  EXPECT_EQ(regrade.already_graded, 0u);
  regrade = report::worksheet_regrade(
    w, report::fill_worksheet(w, {report_of("101", 6), report_of("103", 5), report_of("104", 8)}, {}));
  EXPECT_EQ(regrade.filled, 3u);
  EXPECT_EQ(regrade.already_graded, 1u);

  // A date alone, or a grade alone, marks a row Moodle graded; "-" and blanks do not.
  const std::string header = "Identifier,Grade,\"Maximum Grade\",\"Last modified (grade)\"\n";
  const auto sheet =
    report::parse_worksheet(header + "\"Participant 1\",,100.00,\"Friday, 27 November 2026, 2:38 PM\"\n"
                                     "\"Participant 2\",40.00,100.00,-\n"
                                     "\"Participant 3\",,100.00,-\n"
                                     "\"Participant 4\",\" \",100.00,\n"
                                     "\"Participant 5\",12.50,100.00,-\n",
                            "sheet.csv");
  const auto filled =
    report::fill_worksheet(sheet, {report_of("1", 8), report_of("2", 8), report_of("3", 8), report_of("4", 8)}, {});
  EXPECT_EQ(filled.filled_participants, (std::vector<std::string>{"1", "2", "3", "4"}));
  regrade = report::worksheet_regrade(sheet, filled);
  EXPECT_EQ(regrade.filled, 4u);
  EXPECT_EQ(regrade.already_graded, 2u) << "participant 5 was graded in Moodle but kmgrade did not fill the row";
}

TEST(MoodleWorksheet, RefusesAWorksheetInALanguageItDoesNotKnowNamingItsHeaders)
{
  // Mod_assign's recordid, maxgrade and lastmodifiedgrade in a stored Italian language pack
  // (projectestac/moodle-langpacks it/assign.php): Italian is not among the languages kmgrade
  // reads, so the worksheet is refused with the headers it has, before anything is graded.
  const std::string error = error_of("Identificativo,\"Valutazione massima\",\"Ultima modifica (valutazione)\"\n"
                                     "Partecipante1,\"100,00\",-\n");
  EXPECT_EQ(
    error.rfind("the grading worksheet sheet.csv is not one Moodle exported in a language kmgrade knows (en, ", 0), 0u)
    << error;
  EXPECT_NE(error.find("its columns are \"Identificativo\", \"Valutazione massima\", \"Ultima modifica "
                       "(valutazione)\". Switch your Moodle language"),
            std::string::npos)
    << error;
}
