#include "report/timing_table.h"

#include "report/exports.h"
#include "util/error.h"

#include <fmt/format.h>

#include <algorithm>

namespace kmgrade::report {

namespace {

std::string microseconds(const std::optional<std::uint64_t>& ns, int decimals, const std::string& none)
{
  return ns ? fmt::format("{:.{}f}", static_cast<double>(*ns) / 1e3, decimals) : none;
}

// The parameter the table's rows are values of, as the lab names it.
std::string timed_param(const Report& report)
{
  return report.measurements.empty() ? "value" : report.measurements.front().param;
}

std::string markdown(const Report& report, const std::vector<unsigned>& values)
{
  const auto modules = measured_modules(report);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{timed_param(report)};
  for (const auto& module : modules) {
    header.push_back(module);
    header.push_back(module + " (reference)");
  }
  rows.push_back(header);
  for (unsigned value : values) {
    std::vector<std::string> row{std::to_string(value)};
    for (const auto& module : modules) {
      const auto* m = find_measurement(report, module, value);
      row.push_back(microseconds(m ? m->reported_ns : std::nullopt, 1, "–"));
      row.push_back(microseconds(m ? m->reference_ns : std::nullopt, 1, "–"));
    }
    rows.push_back(row);
  }
  // Padded to the widest cell of each column, so the table reads as well in a terminal as
  // where Markdown is rendered; "–" is one column wide but three bytes long.
  auto width = [](const std::string& cell) {
    return static_cast<std::size_t>(std::count_if(cell.begin(), cell.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  std::vector<std::size_t> widths(header.size(), 3);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], width(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += " " + std::string(widths[i] - width(cells[i]), ' ') + cells[i] + " |";
    }
    return out + "\n";
  };
  std::string out =
    fmt::format("Time of the allocation and deallocation in µs{} (measured {}, with tracing on)\n\n",
                report.timing_runs > 1 ? fmt::format(", median of {} runs", report.timing_runs) : "",
                report.accel == "host" ? fmt::format("on this machine's own kernel: Linux {}", report.kernel)
                                       : fmt::format("in the sandbox: Linux {}, {}", report.kernel, report.accel));
  out += line(rows.front());
  std::vector<std::string> rule;
  for (std::size_t w : widths) {
    rule.push_back(std::string(w - 1, '-') + ":");
  }
  out += line(rule);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    out += line(rows[i]);
  }
  return out;
}

std::string csv(const Report& report, const std::vector<unsigned>& values)
{
  std::vector<std::vector<std::string>> rows{{"module", timed_param(report), "student_us", "reference_us", "runs"}};
  for (const auto& module : measured_modules(report)) {
    for (unsigned value : values) {
      const auto* m = find_measurement(report, module, value);
      rows.push_back({module, std::to_string(value), microseconds(m ? m->reported_ns : std::nullopt, 3, ""),
                      microseconds(m ? m->reference_ns : std::nullopt, 3, ""), std::to_string(m ? m->runs : 0)});
    }
  }
  return to_csv(rows);
}

} // namespace

std::vector<std::string> measured_modules(const Report& report)
{
  std::vector<std::string> modules;
  for (const auto& m : report.measurements) {
    if (std::find(modules.begin(), modules.end(), m.module) == modules.end()) {
      modules.push_back(m.module);
    }
  }
  return modules;
}

const evaluate::Measurement* find_measurement(const Report& report, const std::string& module, unsigned value)
{
  for (const auto& m : report.measurements) {
    if (m.module == module && m.value == value) {
      return &m;
    }
  }
  return nullptr;
}

TableFormat table_format(const std::filesystem::path& file)
{
  if (file.extension() == ".md") {
    return TableFormat::markdown;
  }
  if (file.extension() == ".csv") {
    return TableFormat::csv;
  }
  throw Error("cannot write the table to " + file.string() + ": its name must end in .csv (CSV) or .md (Markdown)");
}

std::string timing_table(const Report& report, const std::vector<unsigned>& values, TableFormat format)
{
  return format == TableFormat::csv ? csv(report, values) : markdown(report, values);
}

} // namespace kmgrade::report
