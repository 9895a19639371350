#pragma once

#include "evaluate/timing.h"
#include "score/score.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace kmgrade::report {

inline constexpr const char* k_schema = "kmgrade.report/1";

// Where the reference times of a report's measurements were taken.
struct ReferenceTimesSource
{
  bool this_grade = false; // in this grade's own sandbox run; otherwise reused from an earlier grade
  std::string measured_at; // UTC, ISO 8601
  std::string machine;
  std::string accel;
  unsigned runs = 1; // loads at each timing value whose median the reference times are
};

// The outcome of grading one submission: the contract of ../shared/report-format.md.
struct Report
{
  std::string grader_version;
  std::string rubric_id;
  std::string rubric_sha256;
  std::string lab_sha256;       // of the lab's file and its reference solution
  std::string build_sha256;     // the grader's executables (pipeline::GraderIdentity)
  std::string reference_sha256; // the reference sources
  std::string kernel_sha256;    // the sandbox kernel's image and headers
  std::string submission_path;
  std::string submission_sha256;
  std::map<std::string, std::string> files; // lab file name -> path inside the submission
  std::string kernel;
  std::string accel;
  int cpus = 0;
  long page_size = 0;
  std::string clocksource;
  int boots = 0;         // sandbox VM boots this grade took
  std::size_t loads = 0; // module loads the sandbox ran
  score::Score score;
  std::vector<evaluate::Measurement> measurements;
  unsigned timing_runs = 1; // loads asked for at each timing value; the measurements are their medians
  ReferenceTimesSource reference_times;
  std::vector<std::string> notes; // things a reader should know: missing files, a VM that died
  double duration_s = 0;
};

// Whether a report's JSON lists every load behind each timing median.
enum class EachRun {
  no,  // the contract as `kmgrade grade` and a batch write it
  yes, // with measurements[].runs and timing_runs, as `kmgrade check --format json` prints it
};

// The report as the contract says (../shared/report-format.md). Cannot fail.
nlohmann::json to_json(const Report& report, EachRun each_run = EachRun::no);

// The JSON text of a report or a class file. A file or folder name a student chose may hold
// bytes that are not UTF-8: they become U+FFFD, rather than costing the report.
std::string to_json_text(const nlohmann::json& j);

// Points as people write them: 1.5, 0.125, 6 (no trailing zeros).
std::string format_points(double points);

// A duration as the timing table shows it: "412.0 us", "1.2 ms", "850 ns"; "-" when unknown.
std::string format_ns(const std::optional<std::uint64_t>& ns);

// `text` in the terminal colour of SGR code `code` ("31" red, "32" green, "33" yellow) when
// `color`, else `text` as it is. Cannot fail.
std::string paint(const char* code, const std::string& text, bool color);

// A summary a student or TA reads at a glance: per exercise the points, and for every
// check that did not pass its message and evidence; then the timing table.
std::string to_text(const Report& report, bool color);

} // namespace kmgrade::report
