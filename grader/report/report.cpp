#include "report/report.h"

#include <fmt/format.h>

namespace kmgrade::report {

namespace {

nlohmann::json optional_ns(const std::optional<std::uint64_t>& v)
{
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json official_json(const std::optional<score::OfficialScore>& o)
{
  if (!o) {
    return nullptr;
  }
  return {{"checker", o->checker},
          {"score", o->score},
          {"max_score", o->max_score},
          {"failed", o->failed},
          {"halted_at", o->halted_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(o->halted_at)}};
}

// A scenario check's tests, each with the name the course's checker gives it.
nlohmann::json tests_json(const std::vector<evaluate::TestOutcome>& tests)
{
  auto out = nlohmann::json::array();
  for (const auto& t : tests) {
    nlohmann::json jt = {{"name", t.name}, {"status", evaluate::to_string(t.status)}, {"weight", t.points}};
    if (!t.printed_as.empty()) {
      jt["printed_as"] = t.printed_as;
    }
    if (t.official) {
      jt["official_pass"] = t.official_passed;
    }
    if (!t.message.empty()) {
      jt["message"] = t.message;
    }
    out.push_back(std::move(jt));
  }
  return out;
}

} // namespace

std::string format_ns(const std::optional<std::uint64_t>& v)
{
  if (!v) {
    return "-";
  }
  if (*v >= 1'000'000) {
    return fmt::format("{:.1f} ms", static_cast<double>(*v) / 1e6);
  }
  if (*v >= 1'000) {
    return fmt::format("{:.1f} us", static_cast<double>(*v) / 1e3);
  }
  return fmt::format("{} ns", *v);
}

std::string format_points(double p)
{
  std::string s = fmt::format("{:.3f}", p);
  while (s.back() == '0') {
    s.pop_back();
  }
  if (s.back() == '.') {
    s.pop_back();
  }
  return s;
}

std::string to_json_text(const nlohmann::json& j)
{
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {

// The report's JSON, without the fields only `kmgrade check` adds at the top.
nlohmann::json contract_json(const Report& r, EachRun each_run)
{
  auto exercises = nlohmann::json::array();
  for (const auto& ex : r.score.exercises) {
    auto checks = nlohmann::json::array();
    for (const auto& c : ex.checks) {
      nlohmann::json jc = {{"id", c.id},
                           {"status", evaluate::to_string(c.verdict.status)},
                           {"points", c.points},
                           {"max_points", c.max_points},
                           {"message", c.verdict.message},
                           {"evidence", c.verdict.evidence}};
      if (c.verdict.on_shimmed_build) {
        jc["shimmed_build"] = true;
      }
      if (!c.verdict.tests.empty()) {
        jc["tests"] = tests_json(c.verdict.tests);
      }
      checks.push_back(std::move(jc));
    }
    exercises.push_back({{"id", ex.id},
                         {"title", ex.title},
                         {"score", ex.score},
                         {"max_score", ex.max_score},
                         {"checks", std::move(checks)}});
  }
  auto measurements = nlohmann::json::array();
  for (const auto& m : r.measurements) {
    // The timed parameter also stands as a key of its own, as schema 1 has always had it.
    measurements.push_back({{"module", m.module},
                            {"params", {{m.param, m.value}}},
                            {m.param, m.value},
                            {"reported_ns", optional_ns(m.reported_ns)},
                            {"traced_ns", optional_ns(m.traced_ns)},
                            {"reference_ns", optional_ns(m.reference_ns)}});
    if (each_run == EachRun::yes) {
      auto runs = nlohmann::json::array();
      for (const auto& run : m.each_run) {
        runs.push_back({{"reported_ns", optional_ns(run.reported_ns)}, {"traced_ns", optional_ns(run.traced_ns)}});
      }
      measurements.back()["runs"] = std::move(runs);
    }
  }
  return {{"schema", k_schema},
          {"grader",
           {{"version", r.grader_version},
            {"rubric", r.rubric_id},
            {"rubric_sha256", r.rubric_sha256},
            {"lab", {{"id", r.rubric_id}, {"sha256", r.lab_sha256}}},
            {"build_sha256", r.build_sha256},
            {"reference_sha256", r.reference_sha256}}},
          {"submission", {{"path", r.submission_path}, {"sha256", r.submission_sha256}, {"files", r.files}}},
          {"environment",
           {{"kernel", r.kernel},
            {"kernel_sha256", r.kernel_sha256},
            {"accel", r.accel},
            {"cpus", r.cpus},
            {"page_size", r.page_size},
            {"clocksource", r.clocksource},
            {"boots", r.boots},
            {"loads", r.loads}}},
          {"score", r.score.score},
          {"max_score", r.score.max_score},
          {"auto_max", r.score.auto_max},
          {"manual_pending", r.score.manual_pending},
          {"exercises", std::move(exercises)},
          {"measurements", std::move(measurements)},
          {"reference_times",
           {{"measured", r.reference_times.this_grade ? "in this grade" : "earlier"},
            {"measured_at", r.reference_times.measured_at},
            {"machine", r.reference_times.machine},
            {"accel", r.reference_times.accel}}},
          {"official_equivalent", official_json(r.score.official)},
          {"notes", r.notes},
          {"duration_s", r.duration_s}};
}

} // namespace

nlohmann::json to_json(const Report& r, EachRun each_run)
{
  auto j = contract_json(r, each_run);
  if (each_run == EachRun::yes) {
    j["timing_runs"] = r.timing_runs;
  }
  return j;
}

std::string paint(const char* code, const std::string& text, bool color)
{
  return color ? fmt::format("\033[{}m{}\033[0m", code, text) : text;
}

std::string to_text(const Report& r, bool color)
{
  std::string out;
  out += fmt::format("kmgrade {}: {}\n", r.grader_version, r.submission_path);
  out += fmt::format("kernel {} ({}, {} CPUs), rubric {}\n\n", r.kernel, r.accel, r.cpus, r.rubric_id);
  for (const auto& note : r.notes) {
    out += "note: " + note + "\n";
  }
  if (!r.notes.empty()) {
    out += "\n";
  }
  for (const auto& ex : r.score.exercises) {
    std::size_t passed = 0;
    std::size_t automatic = 0;
    for (const auto& c : ex.checks) {
      if (c.verdict.status != evaluate::Status::manual) {
        ++automatic;
        passed += c.verdict.status == evaluate::Status::pass;
      }
    }
    out +=
      fmt::format("{:<5} {:<46} {:>5} / {:<5}", ex.id, ex.title, format_points(ex.score), format_points(ex.max_score));
    out += automatic ? fmt::format("  {}/{} checks passed\n", passed, automatic) : "  graded by a person\n";
    for (const auto& c : ex.checks) {
      const auto status = c.verdict.status;
      if (status == evaluate::Status::pass || status == evaluate::Status::manual) {
        continue;
      }
      const char* code = status == evaluate::Status::fail ? "31" : "33";
      out += fmt::format("      {} {}{}: {}\n", paint(code, evaluate::to_string(status), color), c.id,
                         c.max_points > 0 ? " (" + format_points(c.max_points) + ")" : "", c.verdict.message);
      for (const auto& e : c.verdict.evidence) {
        out += "          | " + e + "\n";
      }
    }
  }
  out += fmt::format("\nautomatic score {} / {}   ({} more points are graded by a person; lab total {})\n",
                     format_points(r.score.score), format_points(r.score.auto_max),
                     format_points(r.score.manual_pending), format_points(r.score.max_score));
  if (const auto& o = r.score.official) {
    out += fmt::format("{} would give {} / {}", o->checker, format_points(o->score), format_points(o->max_score));
    std::string failed;
    for (const auto& name : o->failed) {
      failed += (failed.empty() ? "" : ", ") + name;
    }
    out += failed.empty() ? "\n" : "; it fails " + failed + "\n";
    if (!o->halted_at.empty()) {
      out += "  (it would never get past " + o->halted_at + "; the tests after it get nothing)\n";
    }
  }
  if (!r.measurements.empty()) {
    out += fmt::format("\n{:<12} {:>7} {:>12} {:>12} {:>12}\n", "module", r.measurements.front().param, "reported",
                       "traced", "reference");
    for (const auto& m : r.measurements) {
      out += fmt::format("{:<12} {:>7} {:>12} {:>12} {:>12}\n", m.module, m.value, format_ns(m.reported_ns),
                         format_ns(m.traced_ns), format_ns(m.reference_ns));
    }
    out +=
      "(times measured in the sandbox with tracing on; 'traced' is the span the kernel saw between the first allocation and the last free; ";
    out += r.reference_times.this_grade
             ? std::string("'reference' measured in this grade)\n")
             : fmt::format("'reference' measured {} on {}, {})\n", r.reference_times.measured_at,
                           r.reference_times.machine, r.reference_times.accel);
  }
  return out;
}

} // namespace kmgrade::report
