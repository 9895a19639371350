// The chart of times against objnum, drawn by the real gnuplot and read back as XML.

#include "report/timing_chart.h"
#include "temp_folder.h"
#include "timing_report.h"
#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

using namespace kmgrade;

namespace {

const std::vector<unsigned> k_objnums = {1000, 2000, 4000};
const report::ChartLabels k_labels = {"Allocation time against objnum", "objnum (objects)"};

// An element of an XML document: enough of XML for what gnuplot writes (declarations,
// comments, attributes in either quote, self-closing tags, the five predefined entities).
struct XmlElement
{
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text; // the text directly inside it
  std::vector<XmlElement> children;

  // Every element below this one, at any depth, in document order.
  void each(const std::function<void(const XmlElement&)>& visit) const
  {
    for (const auto& c : children) {
      visit(c);
      c.each(visit);
    }
  }
};

std::string unescaped(const std::string& text)
{
  static const std::pair<const char*, const char*> entities[] = {
    {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  std::string out = text;
  for (const auto& [entity, character] : entities) {
    for (auto at = out.find(entity); at != std::string::npos; at = out.find(entity, at + 1)) {
      out.replace(at, std::string(entity).size(), character);
    }
  }
  return out;
}

XmlElement parse_xml(const std::string& xml)
{
  XmlElement document;
  std::vector<XmlElement*> open{&document};
  std::size_t at = 0;
  while (at < xml.size()) {
    const auto lt = xml.find('<', at);
    open.back()->text += unescaped(xml.substr(at, lt - at));
    if (lt == std::string::npos) {
      break;
    }
    if (xml.compare(lt, 4, "<!--") == 0) {
      at = xml.find("-->", lt) + 3;
      continue;
    }
    const auto gt = xml.find('>', lt);
    if (gt == std::string::npos) {
      throw std::runtime_error("an unclosed tag");
    }
    std::string tag = xml.substr(lt + 1, gt - lt - 1);
    at = gt + 1;
    if (tag[0] == '?' || tag[0] == '!') {
      continue;
    }
    if (tag[0] == '/') {
      if (open.size() < 2) {
        throw std::runtime_error("a closing tag without an opening one");
      }
      open.pop_back();
      continue;
    }
    const bool closed = tag.back() == '/';
    if (closed) {
      tag.pop_back();
    }
    XmlElement e;
    std::size_t i = tag.find_first_of(" \t\r\n");
    e.name = tag.substr(0, i);
    while (i != std::string::npos && i < tag.size()) {
      const auto name_start = tag.find_first_not_of(" \t\r\n", i);
      if (name_start == std::string::npos) {
        break;
      }
      const auto eq = tag.find('=', name_start);
      const char quote = tag.at(eq + 1);
      const auto end = tag.find(quote, eq + 2);
      e.attributes[tag.substr(name_start, eq - name_start)] = unescaped(tag.substr(eq + 2, end - eq - 2));
      i = end + 1;
    }
    open.back()->children.push_back(std::move(e));
    if (!closed) {
      open.push_back(&open.back()->children.back());
    }
  }
  if (open.size() != 1) {
    throw std::runtime_error("an element left open");
  }
  return document;
}

// One plotted series as gnuplot's svg terminal draws it: a group "gnuplot_plot_<n>" with the
// legend's text, and a path whose first stroke is the legend's sample and whose second joins
// the data points.
struct Drawn
{
  std::string title;
  std::string colour;
  bool dashed = false;
  std::vector<std::pair<double, double>> points; // SVG coordinates: y grows downwards
};

std::vector<Drawn> series_in(const XmlElement& svg)
{
  std::vector<Drawn> out;
  svg.each([&](const XmlElement& g) {
    if (g.name != "g" || g.attributes.count("id") == 0 || g.attributes.at("id").rfind("gnuplot_plot_", 0) != 0) {
      return;
    }
    Drawn d;
    g.each([&](const XmlElement& e) {
      if (e.name == "text") {
        d.title += e.text;
      }
      if (e.name == "path" && d.points.empty()) {
        d.colour = e.attributes.at("stroke");
        d.dashed = e.attributes.count("stroke-dasharray") > 0;
        // "M legend L legend M x,y L x,y ...": the second subpath is the data.
        const std::string& path = e.attributes.at("d");
        std::istringstream in(path.substr(path.find('M', 1) + 1));
        std::string word;
        while (in >> word) {
          if (word == "L") {
            continue;
          }
          if (word[0] == 'L') {
            word.erase(0, 1);
          }
          const auto comma = word.find(',');
          d.points.emplace_back(std::stod(word.substr(0, comma)), std::stod(word.substr(comma + 1)));
        }
      }
    });
    out.push_back(std::move(d));
  });
  return out;
}

std::vector<std::string> texts_in(const XmlElement& svg)
{
  std::vector<std::string> out;
  svg.each([&](const XmlElement& e) {
    if (e.name == "text") {
      out.push_back(e.text);
    }
  });
  return out;
}

bool has_text(const std::vector<std::string>& texts, const std::string& wanted)
{
  for (const auto& t : texts) {
    if (t.find(wanted) != std::string::npos) {
      return true;
    }
  }
  return false;
}

using TimingChart = TempFolderTest;

} // namespace

TEST_F(TimingChart, TheSvgHoldsEachModulesTimesAndTheReferencesWhereTheyWereMeasured)
{
  const auto report = recorded_timing_report();
  report::write_timing_chart(report, k_objnums, k_labels, m_dir / "chart.svg");
  const XmlElement svg = parse_xml(util::read_file(m_dir / "chart.svg"));
  const auto texts = texts_in(svg);
  EXPECT_TRUE(has_text(texts, "Allocation time against objnum"));
  EXPECT_TRUE(has_text(texts, "objnum (objects)"));
  EXPECT_TRUE(has_text(texts, "time (µs)"));
  EXPECT_TRUE(has_text(texts, "Linux 6.1.0-56-amd64 in the sandbox (tcg), medians of 2 runs"));
  EXPECT_TRUE(has_text(texts, "on lab (Intel(R) Xeon(R) Processor, 2 CPUs)"));

  const auto series = series_in(svg);
  ASSERT_EQ(series.size(), 6u);
  const std::vector<std::string> modules = {"page_alloc", "kmem_alloc", "cache_alloc"};
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const Drawn& student = series[2 * i];
    const Drawn& reference = series[2 * i + 1];
    EXPECT_EQ(student.title, modules[i]);
    EXPECT_EQ(reference.title, modules[i] + " (reference)");
    EXPECT_FALSE(student.dashed) << modules[i];
    EXPECT_TRUE(reference.dashed) << modules[i];
    EXPECT_EQ(student.colour, reference.colour) << modules[i];
    EXPECT_NE(student.colour, series[(2 * i + 2) % 6].colour) << "each module a colour of its own";
    // A point per objnum with a time, left to right in objnum order, higher for a longer time.
    for (const auto* drawn : {&student, &reference}) {
      std::vector<std::uint64_t> values;
      for (unsigned objnum : k_objnums) {
        for (const auto& m : report.measurements) {
          const auto& ns = drawn == &student ? m.reported_ns : m.reference_ns;
          if (m.module == modules[i] && m.value == objnum && ns) {
            values.push_back(*ns);
          }
        }
      }
      ASSERT_EQ(drawn->points.size(), values.size()) << drawn->title;
      for (std::size_t p = 1; p < values.size(); ++p) {
        EXPECT_GT(drawn->points[p].first, drawn->points[p - 1].first) << drawn->title;
        EXPECT_EQ(values[p] > values[p - 1], drawn->points[p].second < drawn->points[p - 1].second)
          << drawn->title << " point " << p;
      }
    }
  }
  EXPECT_EQ(series[2].points.size(), 2u) << "kmem_alloc printed no time at objnum 2000";
  EXPECT_GT(series[0].points[0].second, series[4].points[0].second) << "71 µs is drawn below 330 µs";
}

TEST_F(TimingChart, APngIsAPng)
{
  report::write_timing_chart(recorded_timing_report(), k_objnums, k_labels, m_dir / "chart.png");
  const std::string png = util::read_file(m_dir / "chart.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST_F(TimingChart, OnlySvgAndPngAndOnlyWithGnuplot)
{
  EXPECT_EQ(report::chart_format("c.svg"), report::ChartFormat::svg);
  EXPECT_EQ(report::chart_format("c.png"), report::ChartFormat::png);
  try {
    report::chart_format("c.jpg");
    FAIL() << "accepted a chart that is neither .svg nor .png";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.jpg: its name must end in .svg or .png"), std::string::npos) << e.what();
  }
  const std::string path = std::getenv("PATH");
  ::setenv("PATH", m_dir.c_str(), 1);
  try {
    report::write_timing_chart(recorded_timing_report(), k_objnums, k_labels, m_dir / "chart.svg");
    ADD_FAILURE() << "drew a chart without gnuplot";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("install gnuplot-nox: sudo apt install gnuplot-nox"), std::string::npos)
      << e.what();
  }
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_FALSE(std::filesystem::exists(m_dir / "chart.svg"));
}

TEST_F(TimingChart, NothingMeasuredIsNothingToDraw)
{
  auto report = recorded_timing_report();
  for (auto& m : report.measurements) {
    m.reported_ns.reset();
    m.reference_ns = 0;
  }
  EXPECT_THROW(report::write_timing_chart(report, k_objnums, k_labels, m_dir / "chart.svg"), Error);
}
