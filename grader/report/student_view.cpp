#include "report/student_view.h"

#include <fmt/format.h>

namespace kmgrade::report {

namespace {

// The checks of `module`, in rubric order, but those a person grades.
std::vector<const score::CheckScore*> checks_of(const Report& report, const std::string& module)
{
  std::vector<const score::CheckScore*> out;
  for (const auto& ex : report.score.exercises) {
    for (const auto& c : ex.checks) {
      if (c.verdict.status != evaluate::Status::manual && c.id.rfind(module + ".", 0) == 0) {
        out.push_back(&c);
      }
    }
  }
  return out;
}

bool written(const Report& report, const StudentModule& m)
{
  return report.files.count(m.file) > 0;
}

} // namespace

bool all_checks_pass(const Report& report, const std::vector<StudentModule>& modules)
{
  for (const auto& m : modules) {
    if (!m.checked || !written(report, m)) {
      continue;
    }
    for (const auto* c : checks_of(report, m.id)) {
      if (c->verdict.status != evaluate::Status::pass) {
        return false;
      }
    }
  }
  return true;
}

std::string student_view(const Report& report, const std::vector<StudentModule>& modules,
                         const StudentViewOptions& options)
{
  std::string out =
    fmt::format("kmgrade check: {} (Linux {}, {})\n\n", report.submission_path, report.kernel, report.accel);
  std::size_t to_fix = 0;
  for (const auto& m : modules) {
    if (!m.checked) {
      out += fmt::format("{:<15} not checked this time (--module)\n", m.file);
      continue;
    }
    if (!written(report, m)) {
      out += fmt::format("{:<15} not written yet\n", m.file);
      continue;
    }
    const auto checks = checks_of(report, m.id);
    std::size_t passed = 0;
    for (const auto* c : checks) {
      passed += c->verdict.status == evaluate::Status::pass;
    }
    if (passed == checks.size()) {
      out += fmt::format("{:<15} {}\n", m.file,
                         paint("32", fmt::format("all {} checks pass", checks.size()), options.color));
      continue;
    }
    out += fmt::format("{:<15} {}\n", m.file,
                       paint("31", fmt::format("{} of {} checks pass", passed, checks.size()), options.color));
    for (const auto* c : checks) {
      if (c->verdict.status == evaluate::Status::pass) {
        continue;
      }
      const std::string name = c->id.substr(m.id.size() + 1);
      const char* word = c->verdict.status == evaluate::Status::fail ? "fails" : "could not run";
      const char* code = c->verdict.status == evaluate::Status::fail ? "31" : "33";
      out += fmt::format("  {}: {}\n", paint(code, name + " " + word, options.color), c->verdict.message);
      if (options.verbose) {
        for (const auto& e : c->verdict.evidence) {
          out += "      | " + e + "\n";
        }
      }
      ++to_fix;
    }
  }

  if (to_fix == 0) {
    out += "\nEvery check kmgrade can run on what is written passes.\n";
  } else {
    out += fmt::format("\n{} to fix{}; then run kmgrade check again.\n",
                       to_fix == 1 ? "1 check" : std::to_string(to_fix) + " checks",
                       options.verbose ? "" : " (--verbose shows the kernel's evidence for each)");
  }
  return out;
}

} // namespace kmgrade::report
