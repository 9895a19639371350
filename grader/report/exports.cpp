#include "report/exports.h"

#include "observe/numbers.h"
#include "report/report.h"

#include "util/error.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace kmgrade::report {

namespace {

std::string student_id(const nlohmann::json& r)
{
  return r.at("student").at("id").get<std::string>();
}

} // namespace

std::map<std::string, ExerciseManual> manual_per_exercise(const nlohmann::json& report,
                                                          const std::vector<ManualPoints>& manual)
{
  std::map<std::string, ExerciseManual> out;
  const std::string id = student_id(report);
  for (const auto& m : manual) {
    if (m.participant_id != id) {
      continue;
    }
    auto& slot = out[m.exercise];
    slot.points += m.points;
    slot.comment += (slot.comment.empty() ? "" : "; ") + m.comment;
  }
  for (const auto& ex : report.at("exercises")) {
    auto it = out.find(ex.at("id").get<std::string>());
    if (it == out.end()) {
      continue;
    }
    double cap = 0;
    for (const auto& c : ex.at("checks")) {
      if (c.at("status") == "manual") {
        cap += c.at("max_points").get<double>();
      }
    }
    it->second.points = std::clamp(it->second.points, 0.0, cap);
  }
  return out;
}

double manual_total(const nlohmann::json& report, const std::vector<ManualPoints>& manual)
{
  double sum = 0;
  for (const auto& [ex, m] : manual_per_exercise(report, manual)) {
    sum += m.points;
  }
  return sum;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text)
{
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    any = true;
    if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field += c;
    }
  }
  if (any || !field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string csv_record(const std::vector<std::string>& fields, std::string_view quote_when)
{
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& f = fields[i];
    if (i) {
      out += ',';
    }
    if (f.find_first_of(quote_when) == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    out += '"';
  }
  return out;
}

std::string to_csv(const std::vector<std::vector<std::string>>& rows)
{
  std::string out;
  for (const auto& row : rows) {
    out += csv_record(row, ",\"\r\n") + "\r\n";
  }
  return out;
}

std::vector<ManualPoints> parse_manual_points(const std::string& csv, const std::string& origin)
{
  auto rows = parse_csv(csv);
  const std::vector<std::string> header = {"participant_id", "exercise", "points", "comment"};
  if (rows.empty() || rows.front() != header) {
    throw Error("the manual points file " + origin +
                " must start with the header line participant_id,exercise,points,comment");
  }
  std::vector<ManualPoints> out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.size() == 1 && r[0].empty()) {
      continue;
    }
    if (r.size() != 4) {
      throw Error("the manual points file " + origin + ", line " + std::to_string(i + 1) + ": expected 4 fields, got " +
                  std::to_string(r.size()));
    }
    // "nan", "inf" and 1e400 are no points: they would poison every total they reach.
    std::string_view text = r[2];
    text.remove_prefix(util::skip_space(text, 0));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    const auto points = observe::parse_number<double>(text);
    if (!points || !std::isfinite(*points)) {
      throw Error("the manual points file " + origin + ", line " + std::to_string(i + 1) + ": points '" + r[2] +
                  "' is not a number");
    }
    out.push_back({r[0], r[1], *points, r[3]});
  }
  return out;
}

namespace {

// What one exercise tells a student: its points and the checks that cost points.
struct ExerciseFeedback
{
  std::string head; // "ex3 Page-level allocation: 1 / 1.5"
  struct Lost
  {
    std::string check;
    std::string status;
    std::string message;
  };
  std::vector<Lost> lost;
};

std::vector<ExerciseFeedback> exercise_feedback(const nlohmann::json& report, const std::vector<ManualPoints>& manual)
{
  auto given = manual_per_exercise(report, manual);
  std::vector<ExerciseFeedback> out;
  for (const auto& ex : report.at("exercises")) {
    const std::string id = ex.at("id").get<std::string>();
    double manual_max = 0;
    ExerciseFeedback f;
    for (const auto& c : ex.at("checks")) {
      const std::string status = c.at("status").get<std::string>();
      if (status == "manual") {
        manual_max += c.at("max_points").get<double>();
      } else if (status != "pass" && c.at("max_points").get<double>() > 0) {
        f.lost.push_back({c.at("id").get<std::string>(), status, c.at("message").get<std::string>()});
      }
    }
    f.head =
      fmt::format("{} {}: {}", id, ex.at("title").get<std::string>(), format_points(ex.at("score").get<double>()));
    if (manual_max > 0) {
      auto it = given.find(id);
      if (it != given.end()) {
        f.head += fmt::format(" + {} graded by hand{}", format_points(it->second.points),
                              it->second.comment.empty() ? "" : " (" + it->second.comment + ")");
      } else {
        f.head += " + manual part pending";
      }
    }
    f.head += " / " + format_points(ex.at("max_score").get<double>());
    out.push_back(std::move(f));
  }
  return out;
}

// At most `limit` bytes of `text`, cut at a character boundary, "…" marking the cut.
std::string shortened(const std::string& text, std::size_t limit)
{
  if (text.size() <= limit) {
    return text;
  }
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return text.substr(0, cut) + "\u2026";
}

} // namespace

std::string html_escaped(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\n':
        out += "<br>";
        break;
      default:
        // Other control characters (a terminal's escape codes in a log line) show as a space.
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

std::string feedback_text(const nlohmann::json& report, const std::vector<ManualPoints>& manual)
{
  std::string out;
  for (const auto& ex : exercise_feedback(report, manual)) {
    out += (out.empty() ? "" : "\n") + ex.head;
    for (const auto& l : ex.lost) {
      out += "\n  - " + l.check + " (" + l.status + "): " + l.message;
    }
  }
  return out;
}

std::string feedback_html(const nlohmann::json& report, const std::vector<ManualPoints>& manual,
                          const std::string& grade_in_assignment)
{
  const double total = report.at("score").get<double>() + manual_total(report, manual);
  std::string out = fmt::format("<p><strong>{} of {} points</strong>", format_points(total),
                                format_points(report.at("max_score").get<double>()));
  if (!grade_in_assignment.empty()) {
    out += ", " + html_escaped(grade_in_assignment) + " in this assignment";
  }
  out += " (" + std::string(k_feedback_signature) + ")</p><ul>";
  for (const auto& ex : exercise_feedback(report, manual)) {
    out += "<li>" + html_escaped(ex.head);
    if (!ex.lost.empty()) {
      out += "<ul>";
      for (const auto& l : ex.lost) {
        out += "<li><strong>" + html_escaped(l.check) + "</strong> (" + html_escaped(l.status) +
               "): " + html_escaped(shortened(l.message, 400)) + "</li>";
      }
      out += "</ul>";
    }
    out += "</li>";
  }
  return out + "</ul>";
}

std::string summary_csv(const std::vector<nlohmann::json>& reports, const std::vector<ManualPoints>& manual)
{
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"participant_id", "full_name"};
  if (!reports.empty()) {
    for (const auto& ex : reports.front().at("exercises")) {
      header.push_back(ex.at("id").get<std::string>());
    }
  }
  for (const char* h : {"automatic", "manual", "total", "max_score"}) {
    header.push_back(h);
  }
  rows.push_back(header);
  for (const auto& r : reports) {
    auto given = manual_per_exercise(r, manual);
    std::vector<std::string> row = {student_id(r), r.at("student").at("full_name").get<std::string>()};
    for (const auto& ex : r.at("exercises")) {
      auto it = given.find(ex.at("id").get<std::string>());
      row.push_back(format_points(ex.at("score").get<double>() + (it == given.end() ? 0 : it->second.points)));
    }
    const double automatic = r.at("score").get<double>();
    const double by_hand = manual_total(r, manual);
    row.push_back(format_points(automatic));
    row.push_back(format_points(by_hand));
    row.push_back(format_points(automatic + by_hand));
    row.push_back(format_points(r.at("max_score").get<double>()));
    rows.push_back(std::move(row));
  }
  return to_csv(rows);
}

std::string moodle_worksheet(const std::vector<nlohmann::json>& reports, const std::vector<ManualPoints>& manual,
                             const std::string& last_modified)
{
  std::vector<std::vector<std::string>> rows = {
    {"Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)", "Feedback comments"}};
  for (const auto& r : reports) {
    rows.push_back({"Participant " + student_id(r), r.at("student").at("full_name").get<std::string>(),
                    format_points(r.at("score").get<double>() + manual_total(r, manual)),
                    format_points(r.at("max_score").get<double>()), last_modified, feedback_html(r, manual)});
  }
  return to_csv(rows);
}

nlohmann::json gradescope_results(const nlohmann::json& report, const std::vector<ManualPoints>& manual)
{
  auto tests = nlohmann::json::array();
  for (const auto& ex : report.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      if (c.at("status") == "manual") {
        continue;
      }
      std::string output = c.at("message").get<std::string>();
      for (const auto& e : c.at("evidence")) {
        output += "\n  " + e.get<std::string>();
      }
      tests.push_back({{"name", c.at("id")},
                       {"score", c.at("points")},
                       {"max_score", c.at("max_points")},
                       {"status", c.at("status") == "pass" ? "passed" : "failed"},
                       {"output", output},
                       {"visibility", "visible"}});
    }
  }
  return {{"score", report.at("score").get<double>() + manual_total(report, manual)},
          {"output", feedback_text(report, manual)},
          {"execution_time", report.at("duration_s")},
          {"tests", std::move(tests)}};
}

} // namespace kmgrade::report
