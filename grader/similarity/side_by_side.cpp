#include "similarity/side_by_side.h"

#include "report/exports.h"
#include "util/text.h"

#include <fmt/format.h>

#include <iterator>

namespace kmgrade::similarity {

namespace {

// Tabs as spaces to the next multiple of 8 (kernel style), escaped (which would show a tab
// as one space).
void escape_html(std::string& out, std::string_view text)
{
  std::string expanded;
  for (char c : text) {
    if (c == '\t') {
      expanded.append(8 - expanded.size() % 8, ' ');
    } else {
      expanded += c;
    }
  }
  out += report::html_escaped(expanded);
}

} // namespace

std::string side_by_side_html(const PairScore& pair, std::string_view text_a, std::string_view text_b,
                              const std::vector<Run>& runs)
{
  static const char* const k_colours[] = {"#ffd54f", "#81d4fa", "#a5d6a7", "#f48fb1", "#ce93d8", "#ffab91"};
  const auto colour_class = [&](int line, bool side_a) {
    for (std::size_t k = 0; k < runs.size(); ++k) {
      const auto& r = runs[k];
      const int first = side_a ? r.a_first : r.b_first;
      const int last = side_a ? r.a_last : r.b_last;
      if (line >= first && line <= last) {
        return static_cast<int>(k % std::size(k_colours));
      }
    }
    return -1;
  };
  const auto column = [&](std::string_view text, bool side_a) {
    std::string out = "<td><table class=\"src\">\n";
    int n = 0;
    for (auto line : util::split_lines(text)) {
      ++n;
      const int c = colour_class(n, side_a);
      out += c >= 0 ? fmt::format("<tr class=\"m{}\">", c) : std::string("<tr>");
      out += fmt::format("<td class=\"n\">{}</td><td><pre>", n);
      escape_html(out, line);
      out += "</pre></td></tr>\n";
    }
    return out + "</table></td>\n";
  };
  std::string title;
  escape_html(title, fmt::format("{}: {} and {}, {}%", pair.module, pair.student_a, pair.student_b, pair.percent));
  std::string css = "body{font-family:sans-serif;margin:1em}table.view{width:100%;border-collapse:collapse}"
                    "table.view>tbody>tr>td{vertical-align:top;width:50%}table.src{border-collapse:collapse}"
                    "pre{margin:0;white-space:pre-wrap;font-size:12px}td.n{color:#888;text-align:right;"
                    "padding-right:.5em;font:12px monospace}";
  for (std::size_t k = 0; k < std::size(k_colours); ++k) {
    css += fmt::format("tr.m{}{{background:{}}}", k, k_colours[k]);
  }
  std::string out =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title><style>" + css +
    "</style></head><body>\n<h1>" + title +
    "</h1>\n<p>Lines of the same colour match (sim_c, identifiers and layout ignored). Similarity is a lead to follow, not a verdict.</p>\n"
    "<table class=\"view\"><thead><tr><th>";
  escape_html(out, pair.student_a);
  out += "</th><th>";
  escape_html(out, pair.student_b);
  out += "</th></tr></thead><tbody><tr>\n";
  out += column(text_a, true);
  out += column(text_b, false);
  out += "</tr></tbody></table>\n</body></html>\n";
  return out;
}

} // namespace kmgrade::similarity
