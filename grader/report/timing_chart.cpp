#include "report/timing_chart.h"

#include "report/timing_table.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

#include <fmt/format.h>

namespace kmgrade::report {

namespace fs = std::filesystem;

namespace {

// Okabe and Ito's colours, told apart with any colour vision.
constexpr const char* k_colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"};

// Text inside a double-quoted gnuplot string.
std::string quoted(const std::string& text)
{
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

struct Series
{
  std::string title;
  std::string style;
  std::string points; // "value µs" lines
};

} // namespace

ChartFormat chart_format(const fs::path& file)
{
  ChartFormat format;
  if (file.extension() == ".svg") {
    format = ChartFormat::svg;
  } else if (file.extension() == ".png") {
    format = ChartFormat::png;
  } else {
    throw Error("cannot draw the chart into " + file.string() + ": its name must end in .svg or .png");
  }
  if (util::find_program("gnuplot").empty()) {
    throw Error("cannot draw the chart into " + file.string() +
                ": gnuplot is not installed; install gnuplot-nox: sudo apt install gnuplot-nox");
  }
  return format;
}

void write_timing_chart(const Report& report, const std::vector<unsigned>& values, const ChartLabels& labels,
                        const fs::path& file)
{
  const ChartFormat format = chart_format(file);
  std::vector<Series> series;
  const auto modules = measured_modules(report);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const std::string colour = k_colours[i % std::size(k_colours)];
    Series student{modules[i], fmt::format("linespoints lw 2 pt 7 ps 0.8 dt 1 lc rgb \"{}\"", colour), ""};
    Series reference{modules[i] + " (reference)",
                     fmt::format("linespoints lw 1.5 pt 6 ps 0.8 dt 2 lc rgb \"{}\"", colour), ""};
    for (unsigned value : values) {
      const auto* m = find_measurement(report, modules[i], value);
      if (m && m->reported_ns.value_or(0) > 0) {
        student.points += fmt::format("{} {:.3f}\n", value, static_cast<double>(*m->reported_ns) / 1e3);
      }
      if (m && m->reference_ns.value_or(0) > 0) {
        reference.points += fmt::format("{} {:.3f}\n", value, static_cast<double>(*m->reference_ns) / 1e3);
      }
    }
    series.push_back(std::move(student));
    series.push_back(std::move(reference));
  }
  // One block per drawn series (gnuplot's "index"): a series without a time has none, as
  // gnuplot refuses to plot an empty block.
  std::string data;
  std::string plots;
  std::size_t blocks = 0;
  for (const auto& s : series) {
    if (s.points.empty()) {
      continue;
    }
    data += "# " + s.title + "\n" + s.points + "\n\n";
    plots += fmt::format("{}\"times.dat\" index {} using 1:2 with {} title {}", blocks ? ", \\\n     " : "", blocks,
                         s.style, quoted(s.title));
    ++blocks;
  }
  if (blocks == 0) {
    throw Error("cannot draw the chart into " + file.string() + ": no time was measured");
  }

  std::string xtics;
  for (unsigned value : values) {
    xtics += (xtics.empty() ? "" : ", ") + std::to_string(value);
  }
  const std::string runs = report.timing_runs > 1 ? fmt::format(", medians of {} runs", report.timing_runs) : "";
  const std::string output = format == ChartFormat::svg ? "chart.svg" : "chart.png";
  std::string script = "set encoding utf8\n";
  // noenhanced: module names hold underscores, which would otherwise become subscripts.
  script += format == ChartFormat::svg ? "set terminal svg size 900,540 dynamic noenhanced font \"sans,12\" "
                                         "background \"white\"\n"
                                       : "set terminal pngcairo size 900,540 noenhanced font \"sans,11\"\n";
  script += "set output " + quoted(output) + "\n";
  script +=
    "set title " + quoted(labels.title) + " . \"\\n\" . " +
    quoted("Linux " + report.kernel +
           (report.accel == "host" ? ", this machine's own kernel" : " in the sandbox (" + report.accel + ")") + runs) +
    " . \"\\n\" . " + quoted("on " + report.reference_times.machine) + "\n";
  script += "set xlabel " + quoted(labels.x_axis) + "\n";
  script += "set ylabel \"time (µs), log scale\"\n";
  script += "set logscale y\n";
  script += "set xtics (" + xtics + ")\n";
  script += "set offsets graph 0.05, graph 0.05, 0, 0\n";
  script += "set grid\n";
  // Below the plot, a column per module and its reference: the title then centres over the
  // whole width.
  script += "set key below vertical maxrows 2 height 1\n";
  script += "plot " + plots + "\n";

  const util::TempFolder work("kmgrade-chart");
  util::write_file_atomically(work.path() / "times.dat", data);
  util::write_file_atomically(work.path() / "chart.gp", script);
  util::ProcessOptions options;
  options.cwd = work.path();
  options.timeout = std::chrono::seconds(60);
  const auto result = util::run_process({"gnuplot", "chart.gp"}, options);
  const std::string drawn = util::read_file(work.path() / output);
  if (result.exit_code != 0 || drawn.empty()) {
    throw Error("gnuplot could not draw the chart into " + file.string() + ": " + result.output);
  }
  util::write_file_atomically(file, drawn);
}

} // namespace kmgrade::report
