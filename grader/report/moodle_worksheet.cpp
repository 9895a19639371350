#include "report/moodle_worksheet.h"

#include "observe/numbers.h"
#include "report/report.h"
#include "util/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace kmgrade::report {

namespace {

const std::string k_byte_order_mark = "\xEF\xBB\xBF";

// One CSV record as read: its text without the line end, and its fields.
struct Record
{
  std::string text;
  std::vector<std::string> fields;
};

// Splits RFC 4180 CSV into records, keeping each record's text so it can be written back
// unchanged. A line end inside quotes belongs to the field.
std::vector<Record> split_records(const std::string& text, std::string& line_end, bool& ends_with_line_end)
{
  std::vector<Record> records;
  line_end.clear();
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (quoted || (c != '\n' && c != '\r')) {
      continue;
    }
    std::string end = c == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? "\r\n" : std::string(1, c);
    if (line_end.empty()) {
      line_end = end;
    }
    Record r;
    r.text = text.substr(start, i - start);
    records.push_back(std::move(r));
    i += end.size() - 1;
    start = i + 1;
  }
  ends_with_line_end = start == text.size();
  if (!ends_with_line_end) {
    records.push_back({text.substr(start), {}});
  }
  if (line_end.empty()) {
    line_end = "\n";
  }
  for (auto& r : records) {
    auto parsed = parse_csv(r.text);
    r.fields = parsed.empty() ? std::vector<std::string>{""} : parsed.front();
  }
  return records;
}

// PHP's fputcsv, which Moodle's export uses, quotes a field holding a separator, a quote,
// white space or a line end.
constexpr std::string_view k_fputcsv_quotes = ",\" \t\r\n";

std::string known_languages()
{
  std::string out;
  for (const auto& l : worksheet_languages()) {
    out += (out.empty() ? "" : ", ") + l.code;
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& names)
{
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "\"" : ", \"") + n + "\"";
  }
  return out;
}

// Moodle's importer finds a column by its exact name.
std::optional<std::size_t> column_of(const std::vector<std::string>& columns, const std::vector<std::string>& names)
{
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (std::find(names.begin(), names.end(), columns[i]) != names.end()) {
      return i;
    }
  }
  return std::nullopt;
}

// The maximum grade column, which only people read, has been spelt "Maximum grade" too.
std::optional<std::size_t> column_of_any_case(const std::vector<std::string>& columns, const std::string& name)
{
  const auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return text;
  };
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (lower(columns[i]) == lower(name)) {
      return i;
    }
  }
  return std::nullopt;
}

} // namespace

const std::vector<WorksheetLanguage>& worksheet_languages()
{
  // Moodle's own strings (mod_assign recordid, maxgrade, lastmodifiedgrade; core gradenoun,
  // and grade before Moodle 4.1; assignfeedback_comments pluginname), as its language packs
  // and worksheets exported in each language have them.
  static const std::vector<WorksheetLanguage> languages = {
    {"en", "Identifier", {"Grade"}, "Maximum Grade", "Last modified (grade)", "Feedback comments"},
    {"de", "ID", {"Bewertung"}, "Bestwertung", "Zuletzt geändert (Bewertung)", "Feedback als Kommentar"},
    {"es",
     "Identificador",
     {"Calificación"},
     "Calificación máxima",
     "Última modificación (calificación)",
     "Comentarios de retroalimentación"},
    {"fr", "Identifiant", {"Note"}, "Note maximale", "Dernière modification (note)", "Feedback par commentaires"},
  };
  return languages;
}

Worksheet parse_worksheet(const std::string& text, const std::string& origin)
{
  Worksheet w;
  w.origin = origin;
  auto records = split_records(text, w.line_end, w.ends_with_line_end);
  while (!records.empty() && records.back().text.empty()) {
    records.pop_back();
    w.ends_with_line_end = true;
  }
  if (records.empty()) {
    throw Error(
      "the grading worksheet " + origin +
      " is empty: download it again from the assignment (View all submissions > Grading action > Download grading worksheet)");
  }
  w.header = records.front().text;
  w.columns = records.front().fields;
  if (!w.columns.empty() && w.columns.front().rfind(k_byte_order_mark, 0) == 0) {
    w.columns.front().erase(0, k_byte_order_mark.size());
  }
  const WorksheetLanguage* language = nullptr;
  for (const auto& l : worksheet_languages()) {
    if (column_of(w.columns, {l.identifier}) && column_of(w.columns, l.grade) &&
        column_of(w.columns, {l.last_modified_grade})) {
      language = &l;
      break;
    }
  }
  if (!language) {
    throw Error(
      "the grading worksheet " + origin + " is not one Moodle exported in a language kmgrade knows (" +
      known_languages() +
      "): it needs the columns Identifier, Grade and Last modified (grade) in one of them, and its columns are " +
      quoted_list(w.columns) +
      ". Switch your Moodle language (user menu > Language) to one of these, download the worksheet again and import it in the same language");
  }
  w.language = language->code;
  w.identifier = *column_of(w.columns, {language->identifier});
  w.grade = *column_of(w.columns, language->grade);
  const auto maximum = column_of_any_case(w.columns, language->maximum_grade);
  if (!maximum) {
    throw Error(
      "the grading worksheet " + origin + " has no \"" + language->maximum_grade +
      "\" column, which kmgrade scales grades to. Moodle leaves it out when the assignment is graded with a scale or not at all: set its grade type to Point (Edit settings > Grade > Type) and download the worksheet again");
  }
  w.maximum_grade = *maximum;
  w.last_modified_grade = *column_of(w.columns, {language->last_modified_grade});
  w.feedback = column_of(w.columns, {language->feedback_comments});

  // The importer cuts the participant number from the Identifier cell after as many bytes
  // as its language's word for "Participant" has; kmgrade takes the digits at its end, and
  // checks that every row has the same word before them.
  std::set<std::string> seen;
  std::optional<std::string> participant_word;
  for (std::size_t i = 1; i < records.size(); ++i) {
    auto& r = records[i];
    const std::string where = fmt::format("the grading worksheet {}, row {}", origin, i + 1);
    if (r.fields.size() != w.columns.size()) {
      throw Error(fmt::format("{} has {} fields where the header has {}", where, r.fields.size(), w.columns.size()));
    }
    const std::string& id = r.fields[w.identifier];
    const auto digits = id.find_last_not_of("0123456789") + 1;
    if (digits == 0 || digits == id.size()) {
      throw Error(where + ": \"" + id + "\" in column \"" + w.columns[w.identifier] +
                  "\" is not a participant (\"Participant 123\" in English)");
    }
    const std::string word = id.substr(0, digits);
    if (participant_word && *participant_word != word) {
      throw Error(where + ": \"" + id + "\" does not start with \"" + *participant_word +
                  "\" as the rows before it do");
    }
    participant_word = word;
    const std::string number = id.substr(digits);
    if (!seen.insert(number).second) {
      throw Error(where + ": participant " + number + " has a row already");
    }
    w.rows.push_back({std::move(r.text), std::move(r.fields), number});
    grade_scale(w, w.rows.back());
  }
  return w;
}

void check_worksheet_covers(const Worksheet& worksheet, const std::vector<ClassMember>& students)
{
  std::set<std::string> rows;
  for (const auto& r : worksheet.rows) {
    rows.insert(r.participant);
  }
  std::vector<std::string> missing;
  for (const auto& s : students) {
    if (!rows.count(s.id)) {
      missing.push_back(s.full_name == "Participant " + s.id ? s.full_name : s.full_name + " (" + s.id + ")");
    }
  }
  if (missing.empty()) {
    return;
  }
  std::string names;
  for (std::size_t i = 0; i < missing.size() && i < 10; ++i) {
    names += (i ? ", " : "") + missing[i];
  }
  if (missing.size() > 10) {
    names += fmt::format(" and {} more", missing.size() - 10);
  }
  throw Error(fmt::format(
    "the grading worksheet {} has no row for {} of the {} students of the class: {}. Download the worksheet and the submissions from the same assignment",
    worksheet.origin, missing.size(), students.size(), names));
}

GradeScale grade_scale(const Worksheet& worksheet, const Worksheet::Row& row)
{
  std::string cell = row.fields[worksheet.maximum_grade];
  cell.erase(std::remove(cell.begin(), cell.end(), ' '), cell.end());
  GradeScale scale;
  const auto separator = cell.find_last_of(".,");
  if (separator != std::string::npos) {
    scale.decimal_separator = cell[separator];
    scale.decimals = static_cast<int>(cell.size() - separator - 1);
    cell[separator] = '.';
  }
  const auto maximum = observe::parse_number<double>(cell);
  if (!maximum || !std::isfinite(*maximum) || *maximum <= 0 || scale.decimals > 5) {
    throw Error(
      "the grading worksheet " + worksheet.origin + ": participant " + row.participant + "'s maximum grade \"" +
      row.fields[worksheet.maximum_grade] +
      "\" is not a number of points. kmgrade writes points: set the assignment's grade type to Point (Edit settings > Grade > Type)");
  }
  scale.maximum = *maximum;
  return scale;
}

std::string scaled_grade(double points, double out_of, const GradeScale& scale)
{
  double value = out_of > 0 ? points / out_of * scale.maximum : 0;
  // Rounded to 9 places first, so that 78.125 computed as 78.12499999 still rounds up, as
  // PHP's round() (which Moodle uses) does.
  value = std::round(value * 1e9) / 1e9;
  const double unit = std::pow(10.0, scale.decimals);
  value = std::round(value * unit) / unit;
  std::string text = fmt::format("{:.{}f}", value, scale.decimals);
  std::replace(text.begin(), text.end(), '.', scale.decimal_separator);
  return text;
}

FilledWorksheet fill_worksheet(const Worksheet& worksheet, const std::vector<nlohmann::json>& reports,
                               const std::vector<ManualPoints>& manual)
{
  std::map<std::string, const nlohmann::json*> by_id;
  for (const auto& r : reports) {
    by_id[r.at("student").at("id").get<std::string>()] = &r;
  }
  FilledWorksheet out;
  out.csv = worksheet.header + worksheet.line_end;
  for (std::size_t i = 0; i < worksheet.rows.size(); ++i) {
    const auto& row = worksheet.rows[i];
    const bool last = i + 1 == worksheet.rows.size();
    const std::string end = last && !worksheet.ends_with_line_end ? "" : worksheet.line_end;
    if (out.maximum.empty()) {
      out.maximum = row.fields[worksheet.maximum_grade];
    }
    auto it = by_id.find(row.participant);
    if (it == by_id.end()) {
      out.unfilled.push_back(row.participant);
      out.csv += row.text + end;
      continue;
    }
    const auto& report = *it->second;
    const auto scale = grade_scale(worksheet, row);
    const double points = report.at("score").get<double>() + manual_total(report, manual);
    auto fields = row.fields;
    fields[worksheet.grade] = scaled_grade(points, report.at("max_score").get<double>(), scale);
    if (worksheet.feedback) {
      std::string& cell = fields[*worksheet.feedback];
      const std::string ours =
        feedback_html(report, manual, fields[worksheet.grade] + " of " + row.fields[worksheet.maximum_grade]);
      // What a person wrote stays above a rule; kmgrade's own earlier feedback below it goes.
      std::string persons = cell;
      if (const auto signed_at = cell.find(k_feedback_signature); signed_at != std::string::npos) {
        const auto rule = cell.rfind("<hr>", signed_at);
        persons = rule == std::string::npos ? "" : cell.substr(0, rule);
      }
      cell = persons.empty() ? ours : persons + "<hr>" + ours;
    }
    out.csv += csv_record(fields, k_fputcsv_quotes) + end;
    ++out.filled;
    out.filled_participants.push_back(row.participant);
  }
  return out;
}

WorksheetRegrade worksheet_regrade(const Worksheet& worksheet, const FilledWorksheet& filled)
{
  // Moodle's export writes "-" in "Last modified (grade)" for a participant without a grade,
  // and leaves the Grade cell empty.
  const auto holds_something = [](const std::string& cell) {
    const auto first = cell.find_first_not_of(" \t");
    return first != std::string::npos && cell.substr(first, cell.find_last_not_of(" \t") + 1 - first) != "-";
  };
  const std::set<std::string> filled_ids(filled.filled_participants.begin(), filled.filled_participants.end());
  WorksheetRegrade out;
  out.filled = filled.filled;
  for (const auto& row : worksheet.rows) {
    if (filled_ids.count(row.participant) &&
        (holds_something(row.fields[worksheet.grade]) || holds_something(row.fields[worksheet.last_modified_grade]))) {
      ++out.already_graded;
    }
  }
  return out;
}

} // namespace kmgrade::report
