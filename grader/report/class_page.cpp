#include "report/class_page.h"

#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace kmgrade::report {

namespace {

// Text for HTML: html_escaped, which also turns a line break into <br>.
std::string esc(std::string_view text)
{
  return html_escaped(text);
}

// Text for an attribute value: no <br> there, a line break is a space.
std::string attr(std::string_view text)
{
  std::string flat(text);
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  return html_escaped(flat);
}

// One path segment of a link, percent-encoded: an id like "a/../b" or "javascript:x" stays
// a file name in the page's own folder.
std::string url_segment(std::string_view segment)
{
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// A relative path as a link, each segment encoded; empty when the path is absolute or climbs
// out of the output folder, so no link leaves it.
std::string relative_href(const std::string& path)
{
  if (path.empty() || path.front() == '/') {
    return "";
  }
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    const auto segment = path.substr(start, end - start);
    if (segment == ".." || segment.empty()) {
      return "";
    }
    out += (out.empty() ? "" : "/") + url_segment(segment);
    start = end + 1;
  }
  return out;
}

std::string str(const nlohmann::json& j, const char* key)
{
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

double num(const nlohmann::json& j, const char* key)
{
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string student_id(const nlohmann::json& r)
{
  return str(r.at("student"), "id");
}
std::string student_name(const nlohmann::json& r)
{
  return str(r.at("student"), "full_name");
}

bool is_automatic(const nlohmann::json& check)
{
  return str(check, "status") != "manual";
}

double lost(const nlohmann::json& check)
{
  return num(check, "max_points") - num(check, "points");
}

// Common to both pages: how the page looks on screen and on paper. The page only ever shows
// its own inline styles; no script runs and nothing is fetched.
const char* k_head = R"css(<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 0 auto; max-width: 1200px; padding: 1em 1.5em 3em; }
h1 { font-size: 1.6em; margin: 0.2em 0; } h2 { font-size: 1.25em; margin: 1.6em 0 0.5em; border-bottom: 1px solid #d6dae3; padding-bottom: 0.2em; }
nav a { margin-right: 1em; } .muted { color: #5b6475; } .small { font-size: 0.88em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.3em 0.55em; border-bottom: 1px solid #e3e6ec; vertical-align: top; }
th { background: #f1f3f7; position: sticky; top: 0; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; } tbody tr:hover { background: #eef3ff; }
td.num, th.num { text-align: right; white-space: nowrap; }
.lost { font-size: 0.85em; color: #7a2a2a; } .lost code { margin-right: 0.4em; white-space: nowrap; }
.failed td { background: #fff4f2; }
.status { display: inline-block; min-width: 4.2em; text-align: center; border-radius: 3px; padding: 0 0.3em; font-size: 0.85em; font-weight: 600; }
.st-pass { background: #ddf3e2; color: #1b5e2b; } .st-fail { background: #fbdcdc; color: #8a1c1c; }
.st-error { background: #ffe9c7; color: #7a4a00; } .st-not_run { background: #eceef2; color: #4a5060; } .st-manual { background: #e3ecfb; color: #234a8a; }
svg.histogram { max-width: 760px; width: 100%; height: auto; }
svg.histogram rect.bar { fill: #4a78c2; } svg.histogram text { font: 12px system-ui, sans-serif; fill: #1d2330; }
svg.histogram line { stroke: #8a93a6; } svg.histogram .zero { fill: #9aa2b1; }
details.check { border: 1px solid #e3e6ec; border-radius: 4px; margin: 0.35em 0; padding: 0.3em 0.6em; }
details.check summary { cursor: pointer; } details.check p { margin: 0.4em 0; }
pre.evidence { background: #f6f7f9; padding: 0.5em; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; word-break: break-all; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
@media print {
  body { max-width: none; padding: 0; color: #000; font-size: 11pt; }
  th, tbody tr:nth-child(even), .failed td, pre.evidence, .status { background: none !important; }
  th { position: static; } nav { display: none; }
  section { break-before: page; } section:first-of-type { break-before: auto; }
  tr, details.check { break-inside: avoid; }
  a { color: #000; } a[href]::after { content: " (" attr(href) ")"; font-size: 0.8em; color: #444; word-break: break-all; }
  svg.histogram rect.bar { fill: #777; }
}
</style>
)css";

std::string page(const std::string& title, const std::string& body)
{
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>" + esc(title) + "</title>\n" + k_head +
         "</head>\n<body>\n" + body + "</body>\n</html>\n";
}

// The bars of the histogram as an inline SVG: one <rect class="bar"> per bin with its count
// above it, the points along the bottom, the students up the side.
std::string histogram_svg(const std::vector<HistogramBin>& bins, double max, std::size_t students)
{
  const double width = 760, height = 280, left = 48, right = 12, top = 24, bottom = 52;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  int highest = 1;
  for (const auto& b : bins) {
    highest = std::max(highest, b.students);
  }
  const double bar_w = plot_w / static_cast<double>(bins.size());
  std::string svg =
    fmt::format("<svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" "
                "aria-label=\"histogram of {} students' totals out of {} points\">\n",
                width, height, students, format_points(max));
  // Up to 5 gridlines on whole numbers of students.
  const int step = std::max(1, static_cast<int>(std::ceil(highest / 5.0)));
  for (int y = 0; y <= highest; y += step) {
    const double py = top + plot_h - plot_h * y / highest;
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke-opacity=\"0.35\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                       left, left + plot_w, py, py, left - 6, py + 4, y);
  }
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const auto& b = bins[i];
    const double h = plot_h * b.students / highest;
    const double x = left + bar_w * static_cast<double>(i);
    svg += fmt::format("<g><title>{} to {} points: {} student{}</title>"
                       "<rect class=\"bar\" data-from=\"{}\" data-to=\"{}\" data-students=\"{}\" x=\"{:.1f}\" "
                       "y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>"
                       "<text class=\"count{}\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text></g>\n",
                       format_points(b.from), format_points(b.to), b.students, b.students == 1 ? "" : "s",
                       format_points(b.from), format_points(b.to), b.students, x + 1, top + plot_h - h, bar_w - 2, h,
                       b.students ? "" : " zero", x + bar_w / 2, top + plot_h - h - 5, b.students);
  }
  // Points along the bottom, on whole points (or every bin when the bins are a point wide).
  svg +=
    fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\n", left, left + plot_w, top + plot_h, top + plot_h);
  for (std::size_t i = 0; i <= bins.size(); ++i) {
    const double at = i < bins.size() ? bins[i].from : bins.back().to;
    if (std::abs(at - std::round(at)) > 1e-9) {
      continue;
    }
    const double x = left + bar_w * static_cast<double>(i);
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>"
                       "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                       x, top + plot_h, top + plot_h + 5, top + plot_h + 18, format_points(at));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">total points (of {})</text>\n", left + plot_w / 2,
                     height - 10, format_points(max));
  svg +=
    fmt::format("<text x=\"14\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {0})\">students</text>\n",
                top + plot_h / 2);
  return svg + "</svg>\n";
}

std::string status_badge(const std::string& status)
{
  return "<span class=\"status st-" + url_segment(status) + "\">" + esc(status) + "</span>";
}

std::string student_link(const std::string& id, const std::string& text)
{
  return "<a href=\"students/" + url_segment(student_page_name(id)) + "\">" + esc(text) + "</a>";
}

std::string similarity_section(const similarity::ClassSimilarity* sim, const std::map<std::string, std::string>& names)
{
  std::string out = "<section id=\"similarity\">\n<h2>Similarity</h2>\n";
  if (!sim) {
    return out + "<p class=\"muted\">The submissions were not compared in this batch.</p>\n</section>\n";
  }
  out += fmt::format(
    "<p>{} pair{} compared; a pair is flagged at {}% or more. Similarity never changes a score: each cluster is a lead for a person to follow.</p>\n",
    sim->pairs.size(), sim->pairs.size() == 1 ? "" : "s", sim->threshold);
  if (sim->clusters.empty()) {
    return out + "<p>No pair was flagged.</p>\n</section>\n";
  }
  auto who = [&](const std::string& id) {
    auto it = names.find(id);
    return it == names.end() ? "<code>" + esc(id) + "</code>" : student_link(id, it->second + " (" + id + ")");
  };
  out += "<table class=\"clusters\">\n<thead><tr><th>module</th><th>students</th><th class=\"num\">highest</th>"
         "<th>side-by-side views</th></tr></thead>\n<tbody>\n";
  for (const auto& c : sim->clusters) {
    const std::set<std::string> members(c.students.begin(), c.students.end());
    std::string people;
    for (const auto& s : c.students) {
      people += (people.empty() ? "" : "<br>") + who(s);
    }
    std::string views;
    for (const auto& p : sim->pairs) {
      if (p.module != c.module || !p.flagged || !members.count(p.student_a) || !members.count(p.student_b)) {
        continue;
      }
      const auto href = relative_href(p.view);
      const auto label = esc(p.student_a + " \u2194 " + p.student_b) + fmt::format(" ({}%)", p.percent);
      views += (views.empty() ? "" : "<br>") +
               (href.empty() ? label : "<a class=\"view\" href=\"" + href + "\">" + label + "</a>");
    }
    out += "<tr><td><code>" + esc(c.module) + "</code></td><td>" + people + "</td><td class=\"num\">" +
           fmt::format("{}%", c.max_percent) + "</td><td>" + views + "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

struct Row
{
  std::string name;
  std::string id;
  const nlohmann::json* report = nullptr;
  const FailedStudent* failed = nullptr;
};

} // namespace

std::string student_page_name(const std::string& id)
{
  return id + ".html";
}

std::vector<HistogramBin> score_histogram(const std::vector<double>& totals, double max, double width)
{
  const auto n = static_cast<std::size_t>(std::max(1.0, std::ceil(max / width - 1e-9)));
  std::vector<HistogramBin> bins(n);
  for (std::size_t i = 0; i < n; ++i) {
    bins[i].from = width * static_cast<double>(i);
    bins[i].to = std::min(max, width * static_cast<double>(i + 1));
  }
  for (double t : totals) {
    // A hair of tolerance: 6.5 made of 0.125s lands in [6.5, 7), not [6, 6.5).
    const double at = std::floor(t / width + 1e-9);
    const auto i = static_cast<std::size_t>(std::clamp(at, 0.0, static_cast<double>(n - 1)));
    ++bins[i].students;
  }
  return bins;
}

std::vector<CheckCost> most_failed_checks(const std::vector<nlohmann::json>& reports, const score::Rubric& rubric)
{
  std::map<std::string, CheckCost> costs;
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      costs[c.id] = {c.id, ex.id, ex.title, c.message, 0, 0};
    }
  }
  std::set<std::string> costly;
  for (const auto& r : reports) {
    for (const auto& ex : r.at("exercises")) {
      for (const auto& c : ex.at("checks")) {
        if (!is_automatic(c) || lost(c) <= 1e-9) {
          continue;
        }
        const auto id = str(c, "id");
        auto [it, added] = costs.try_emplace(id, CheckCost{id, str(ex, "id"), str(ex, "title"), "", 0, 0});
        ++it->second.students;
        it->second.points_lost += lost(c);
        costly.insert(id);
      }
    }
  }
  std::vector<CheckCost> out;
  for (const auto& id : costly) {
    out.push_back(costs[id]);
  }
  std::stable_sort(out.begin(), out.end(), [](const CheckCost& a, const CheckCost& b) {
    if (std::abs(a.points_lost - b.points_lost) > 1e-9) {
      return a.points_lost > b.points_lost;
    }
    return a.students > b.students;
  });
  return out;
}

std::string class_page(const ClassPageInput& in)
{
  const auto& rubric = *in.rubric;
  const bool has_manual = !in.manual.empty();
  std::string body = "<header>\n<h1>" + esc(in.title) + "</h1>\n";
  body += fmt::format("<p>{} student{}: {} graded, {} without a report (grading failed). Generated {}.</p>\n",
                      in.reports.size() + in.failed.size(), in.reports.size() + in.failed.size() == 1 ? "" : "s",
                      in.reports.size(), in.failed.size(), esc(in.generated_at));
  body +=
    "<nav><a href=\"#distribution\">Score distribution</a><a href=\"#most-failed\">Most-failed checks</a>"
    "<a href=\"#similarity\">Similarity</a><a href=\"#students\">Students</a>"
    "<a href=\"summary.csv\">summary.csv</a><a href=\"moodle-grades.csv\">moodle-grades.csv</a></nav>\n</header>\n";

  // The distribution of totals: automatic points plus any given by hand, out of the lab's maximum.
  std::vector<double> totals;
  for (const auto& r : in.reports) {
    totals.push_back(num(r, "score") + manual_total(r, in.manual));
  }
  const double max = rubric.max_score > 0 ? rubric.max_score : 1;
  body += "<section id=\"distribution\">\n<h2>Score distribution</h2>\n";
  if (totals.empty()) {
    body += "<p>No student has a report.</p>\n";
  } else {
    const auto bins = score_histogram(totals, max, max <= 10 ? 0.5 : 1.0);
    body += histogram_svg(bins, max, totals.size());
    auto sorted = totals;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (double t : sorted) {
      sum += t;
    }
    const auto n = sorted.size();
    const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    body += fmt::format("<p>Totals out of {}: mean {}, median {}, lowest {}, highest {}. ", format_points(max),
                        format_points(std::round(sum / static_cast<double>(n) * 100) / 100), format_points(median),
                        format_points(sorted.front()), format_points(sorted.back()));
    body +=
      has_manual
        ? "They include the manual points given.</p>\n"
        : fmt::format("No manual points were given: {} of the {} points are still to be graded by a person.</p>\n",
                      format_points(rubric.manual_max()), format_points(max));
  }
  body += "</section>\n";

  body += "<section id=\"most-failed\">\n<h2>Most-failed checks</h2>\n";
  const auto costs = most_failed_checks(in.reports, rubric);
  if (costs.empty()) {
    body += "<p>No automatic check cost any student points.</p>\n";
  } else {
    body += "<table class=\"most-failed\">\n<thead><tr><th>check</th><th>exercise</th><th class=\"num\">students</th>"
            "<th class=\"num\">points lost</th></tr></thead>\n<tbody>\n";
    for (const auto& c : costs) {
      body += "<tr><td><code>" + esc(c.check) + "</code>" +
              (c.description.empty() ? "" : "<br><span class=\"small muted\">" + esc(c.description) + "</span>") +
              "</td><td>" + esc(c.exercise) + " " + esc(c.exercise_title) + "</td>" +
              fmt::format("<td class=\"num\">{} of {}</td><td class=\"num\">{}</td></tr>\n", c.students,
                          in.reports.size(), format_points(c.points_lost));
    }
    body += "</tbody>\n</table>\n";
  }
  body += "</section>\n";

  std::map<std::string, std::string> names;
  std::vector<Row> rows;
  for (const auto& r : in.reports) {
    names[student_id(r)] = student_name(r);
    rows.push_back({student_name(r), student_id(r), &r, nullptr});
  }
  for (const auto& f : in.failed) {
    names[f.id] = f.full_name;
    rows.push_back({f.full_name, f.id, nullptr, &f});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); });
  body += similarity_section(in.similarity, names);

  body += "<section id=\"students\">\n<h2>Students</h2>\n<table class=\"students\">\n<thead><tr><th>name</th>"
          "<th>id</th><th class=\"num\">total</th>";
  if (has_manual) {
    body += "<th class=\"num\">automatic</th><th class=\"num\">manual</th>";
  }
  for (const auto& ex : rubric.exercises) {
    double ex_max = 0;
    for (const auto& c : ex.checks) {
      ex_max += c.points;
    }
    body += "<th class=\"num\" title=\"" + attr(ex.title) + "\">" + esc(ex.id) + "<br><span class=\"small muted\">of " +
            format_points(ex_max) + "</span></th>";
  }
  body += "<th>checks lost</th></tr></thead>\n<tbody>\n";
  const auto columns = rubric.exercises.size() + 1;
  for (const auto& row : rows) {
    if (row.failed) {
      const auto& f = *row.failed;
      body +=
        "<tr class=\"failed\"><td>" + esc(f.full_name) + "</td><td>" + esc(f.id) + "</td><td class=\"num\">-</td>";
      body += has_manual ? "<td class=\"num\">-</td><td class=\"num\">-</td>" : "";
      body += fmt::format("<td colspan=\"{}\"><strong>grading failed:</strong> ", columns) + esc(f.why);
      if (const auto href = relative_href(f.kept); !href.empty()) {
        body += " (builds and VM log: <a href=\"" + href + "/\">" + esc(f.kept) + "/</a>)";
      }
      body += "</td></tr>\n";
      continue;
    }
    const auto& r = *row.report;
    const double automatic = num(r, "score");
    const double by_hand = manual_total(r, in.manual);
    body += "<tr><td>" + student_link(row.id, row.name) + "</td><td>" + esc(row.id) + "</td>" +
            "<td class=\"num\"><strong>" + format_points(automatic + by_hand) + "</strong> / " +
            format_points(num(r, "max_score")) + "</td>";
    if (has_manual) {
      body +=
        "<td class=\"num\">" + format_points(automatic) + "</td><td class=\"num\">" + format_points(by_hand) + "</td>";
    }
    const auto given = manual_per_exercise(r, in.manual);
    std::map<std::string, double> per_exercise;
    std::string lost_checks;
    for (const auto& ex : r.at("exercises")) {
      const auto id = str(ex, "id");
      auto it = given.find(id);
      per_exercise[id] = num(ex, "score") + (it == given.end() ? 0 : it->second.points);
      for (const auto& c : ex.at("checks")) {
        if (is_automatic(c) && lost(c) > 1e-9) {
          lost_checks += "<code title=\"" + attr(str(c, "status") + ": " + str(c, "message")) + "\">" +
                         esc(str(c, "id")) + "</code> ";
        }
      }
    }
    for (const auto& ex : rubric.exercises) {
      auto it = per_exercise.find(ex.id);
      body +=
        "<td class=\"num\">" + (it == per_exercise.end() ? std::string("-") : format_points(it->second)) + "</td>";
    }
    body += "<td class=\"lost\">" + (lost_checks.empty() ? std::string("none") : lost_checks) + "</td></tr>\n";
  }
  body += "</tbody>\n</table>\n</section>\n";
  return page(in.title + ": class results", body);
}

std::string student_page(const nlohmann::json& r, const std::vector<ManualPoints>& manual)
{
  const auto id = student_id(r);
  const auto name = student_name(r);
  const double automatic = num(r, "score");
  const double by_hand = manual_total(r, manual);
  const auto given = manual_per_exercise(r, manual);
  std::string body = "<nav><a href=\"../index.html\">\u2190 class results</a><a href=\"../reports/" +
                     url_segment(id + ".json") + "\">JSON report</a></nav>\n<header>\n<h1>" + esc(name) +
                     " <span class=\"muted\">(" + esc(id) + ")</span></h1>\n";
  body += fmt::format("<p><strong>{} of {} points</strong>: {} automatic of {}", format_points(automatic + by_hand),
                      format_points(num(r, "max_score")), format_points(automatic), format_points(num(r, "auto_max")));
  body += by_hand > 0 || !given.empty()
            ? ", " + format_points(by_hand) + " given by hand"
            : fmt::format(", {} still to be graded by a person", format_points(num(r, "manual_pending")));
  body += ".</p>\n";
  const auto& sub = r.contains("submission") ? r.at("submission") : nlohmann::json::object();
  const auto& env = r.contains("environment") ? r.at("environment") : nlohmann::json::object();
  body += "<p class=\"small muted\">Submission " + esc(str(sub, "path")) + "; graded by kmgrade " +
          esc(r.contains("grader") ? str(r.at("grader"), "version") : "") + " on kernel " + esc(str(env, "kernel")) +
          " (" + esc(str(env, "accel")) + ")" + fmt::format(" in {:.0f} s.", num(r, "duration_s")) + "</p>\n";
  if (sub.contains("files") && sub.at("files").is_object() && !sub.at("files").empty()) {
    body += "<p class=\"small\">Files: ";
    bool first = true;
    for (const auto& [file, from] : sub.at("files").items()) {
      body += (first ? "" : ", ") + std::string("<code>") + esc(file) + "</code> from <code>" +
              esc(from.is_string() ? from.get<std::string>() : "") + "</code>";
      first = false;
    }
    body += "</p>\n";
  }
  // What cost points, first: each links to its check below.
  std::string lost_checks;
  for (const auto& ex : r.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      if (is_automatic(c) && lost(c) > 1e-9) {
        lost_checks += (lost_checks.empty() ? "" : ", ") + std::string("<a href=\"#") + url_segment(str(c, "id")) +
                       "\"><code>" + esc(str(c, "id")) + "</code></a> (" + esc(str(c, "status")) + ", -" +
                       format_points(lost(c)) + ")";
      }
    }
  }
  body += "<p class=\"lost\">Points lost on: " + (lost_checks.empty() ? std::string("none") : lost_checks) +
          ".</p>\n</header>\n";

  if (r.contains("notes") && !r.at("notes").empty()) {
    body += "<section id=\"notes\">\n<h2>Notes</h2>\n<ul>\n";
    for (const auto& n : r.at("notes")) {
      body += "<li>" + esc(n.is_string() ? n.get<std::string>() : n.dump()) + "</li>\n";
    }
    body += "</ul>\n</section>\n";
  }

  body += "<section id=\"checks\">\n<h2>Checks</h2>\n";
  for (const auto& ex : r.at("exercises")) {
    const auto ex_id = str(ex, "id");
    auto it = given.find(ex_id);
    std::string head = esc(ex_id) + " " + esc(str(ex, "title")) + ": " + format_points(num(ex, "score"));
    if (it != given.end()) {
      head += " + " + format_points(it->second.points) + " by hand" +
              (it->second.comment.empty() ? "" : " (" + esc(it->second.comment) + ")");
    }
    head += " / " + format_points(num(ex, "max_score"));
    body += "<h3 id=\"" + url_segment(ex_id) + "\">" + head + "</h3>\n";
    for (const auto& c : ex.at("checks")) {
      const auto status = str(c, "status");
      const bool passed = status == "pass" || status == "manual";
      body +=
        "<details class=\"check\"" + std::string(passed ? "" : " open") + " id=\"" + url_segment(str(c, "id")) +
        "\"><summary>" + status_badge(status) + " <code>" + esc(str(c, "id")) + "</code> " +
        format_points(num(c, "points")) + " / " + format_points(num(c, "max_points")) +
        (c.value("shimmed_build", false) ? " <span class=\"small muted\">(on the compatibility build)</span>" : "") +
        "</summary>\n<p>" + esc(str(c, "message")) + "</p>\n";
      if (c.contains("evidence") && !c.at("evidence").empty()) {
        body += "<pre class=\"evidence\">";
        for (const auto& e : c.at("evidence")) {
          body += esc(e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
        }
        body += "</pre>\n";
      }
      body += "</details>\n";
    }
  }
  body += "</section>\n";

  body += "<section id=\"timing\">\n<h2>Timing</h2>\n";
  if (!r.contains("measurements") || r.at("measurements").empty()) {
    body += "<p>No times were measured.</p>\n";
  } else {
    auto ns = [](const nlohmann::json& m, const char* key) {
      auto it = m.find(key);
      return it != m.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0
               ? std::optional<std::uint64_t>(it->get<std::uint64_t>())
               : std::nullopt;
    };
    // The lab's timed parameter, as each measurement names it in "params".
    auto timed = [](const nlohmann::json& m) {
      const auto params = m.find("params");
      return params != m.end() && params->is_object() && params->size() == 1 ? *params->begin() : nlohmann::json();
    };
    const auto& first = r.at("measurements").front();
    const std::string param =
      first.contains("params") && first.at("params").is_object() && first.at("params").size() == 1
        ? first.at("params").begin().key()
        : "value";
    body +=
      "<table class=\"timing\">\n<thead><tr><th>module</th><th class=\"num\">" + esc(param) +
      "</th>"
      "<th class=\"num\">reported</th><th class=\"num\">traced</th><th class=\"num\">reference</th></tr></thead>\n"
      "<tbody>\n";
    for (const auto& m : r.at("measurements")) {
      body += "<tr><td><code>" + esc(str(m, "module")) + "</code></td>" +
              fmt::format("<td class=\"num\">{}</td>", timed(m).is_number_unsigned() ? timed(m).get<unsigned>() : 0u) +
              "<td class=\"num\">" + format_ns(ns(m, "reported_ns")) + "</td><td class=\"num\">" +
              format_ns(ns(m, "traced_ns")) + "</td><td class=\"num\">" + format_ns(ns(m, "reference_ns")) +
              "</td></tr>\n";
    }
    body +=
      "</tbody>\n</table>\n<p class=\"small muted\">Times measured in the sandbox with tracing on; 'reported' is what the student's module printed, 'traced' the span the kernel saw between the first allocation and the last free, 'reference' what the reference module printed, ";
    const auto& ref = r.contains("reference_times") ? r.at("reference_times") : nlohmann::json::object();
    body += str(ref, "measured") == "in this grade" ? std::string("measured in this grade.")
                                                    : "measured " + esc(str(ref, "measured_at")) + " on " +
                                                        esc(str(ref, "machine")) + ", " + esc(str(ref, "accel")) + ".";
    body += "</p>\n";
  }
  body += "</section>\n";
  return page(name + " (" + id + ")", body);
}

} // namespace kmgrade::report
