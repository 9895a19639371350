#include "evaluate/transcript_check.h"

#include "evaluate/check_support.h"

#include <fmt/format.h>

#include <algorithm>

namespace kmgrade::evaluate {

using observe::StepKind;
using observe::UserStepResult;
using score::CompareMode;

namespace {

constexpr const char* k_prefix = "transcript-";

} // namespace

std::string describe_step(const UserStepResult& r, int timeout_ms)
{
  if (r.timed_out) {
    return fmt::format("did not return within {} ms", timeout_ms);
  }
  if (r.result < 0) {
    return "failed with " + (r.errno_name.empty() ? std::to_string(r.error_code) : r.errno_name) + " (" + r.error + ")";
  }
  switch (r.kind) {
    case StepKind::write:
      return fmt::format("wrote {} byte(s)", r.result);
    case StepKind::read:
      return fmt::format("read {} ({} byte(s){})", quoted_bytes(r.data), r.result,
                         r.truncated ? ", and more past the step's max_bytes" : "");
    case StepKind::stat:
      return "found a " + r.type;
  }
  return "";
}

namespace {

// Without one newline at the very end.
std::string_view without_last_newline(std::string_view text)
{
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  return text;
}

// Why what the student read differs from the reference's, or "" when it does not.
std::string read_difference(const std::string& want, const std::string& got, CompareMode mode)
{
  if (mode == CompareMode::exact) {
    return want == got ? "" : "the bytes differ";
  }
  const auto expected = without_last_newline(want);
  if (mode == CompareMode::substring) {
    for (std::size_t start = 0; start <= expected.size();) {
      const auto end = std::min(expected.find('\n', start), expected.size());
      const auto line = expected.substr(start, end - start);
      if (!line.empty() && got.find(line) == std::string::npos) {
        return "the reference's line " + quoted_bytes(std::string(line)) + " is not in it";
      }
      start = end + 1;
    }
    return "";
  }
  const auto actual = without_last_newline(got);
  if (expected == actual) {
    return "";
  }
  std::size_t line = 1;
  for (std::size_t i = 0; i < expected.size() && i < actual.size() && expected[i] == actual[i]; ++i) {
    line += expected[i] == '\n' ? 1 : 0;
  }
  return fmt::format("line {} differs", line);
}

} // namespace

std::string step_difference(const UserStepResult& want, const UserStepResult& got, CompareMode mode)
{
  if (want.timed_out || got.timed_out) {
    return want.timed_out == got.timed_out ? "" : "one returned, the other did not";
  }
  if (want.result < 0 || got.result < 0) {
    return want.result < 0 && got.result < 0 && want.error_code == got.error_code ? "" : "the outcome differs";
  }
  switch (want.kind) {
    case StepKind::write:
      return want.result == got.result ? "" : "the byte count differs";
    case StepKind::stat:
      return want.type == got.type ? "" : "the file's type differs";
    case StepKind::read:
      if (mode == CompareMode::exact && want.truncated != got.truncated) {
        return "the bytes differ";
      }
      return read_difference(want.data, got.data, mode);
  }
  return "";
}

namespace {

Verdict check_transcript(const ModuleEvidence& e, const LabFacts& facts, const std::string& load)
{
  const auto* run = e.named_run(load);
  if (!run) {
    const auto why = e.named_failures.find(load);
    return error("the sandbox returned no result for the load " + load +
                 (why == e.named_failures.end() ? std::string() : ": " + why->second));
  }
  RunView view(*run, facts);
  if (auto v = unusable(view, CrashGate::error)) {
    return *v;
  }
  const auto reference = e.reference_steps.find(load);
  if (reference == e.reference_steps.end()) {
    return error("the reference solution's load " + load +
                 " gave no steps to compare with: kmgrade could not grade this; grade again, with --fresh-reference");
  }
  const auto mode_of = facts.transcript_compare.find(load);
  const CompareMode mode = mode_of == facts.transcript_compare.end() ? CompareMode::exact : mode_of->second;
  const auto& steps = run->request.steps;
  std::vector<std::string> differences;
  std::vector<std::string> same;
  for (std::size_t i = 0; i < reference->second.size(); ++i) {
    const auto& want = reference->second[i];
    const int timeout_ms = i < steps.size() ? steps[i].timeout_ms : 0;
    const std::string step =
      fmt::format("step {} ({} {})", i + 1, observe::to_string(want.kind), quoted_bytes(want.path, 200));
    if (i >= run->steps.size()) {
      differences.push_back(step + ": the reference's " + describe_step(want, timeout_ms) +
                            ", yours never ran (a step before it never returned)");
      continue;
    }
    const auto& got = run->steps[i];
    const auto why = step_difference(want, got, mode);
    if (why.empty()) {
      same.push_back(step + ": " + describe_step(got, timeout_ms) + ", as the reference's");
    } else {
      differences.push_back(step + ": the reference's " + describe_step(want, timeout_ms) + ", yours " +
                            describe_step(got, timeout_ms) + " (" + why + ")");
    }
  }
  Verdict v = differences.empty()
                ? pass(fmt::format("the {} step(s) of load {} gave what the reference's gave (compared {})",
                                   reference->second.size(), load, score::to_string(mode)))
                : fail("load " + load + ", " + differences.front());
  for (const auto* lines : {&differences, &same}) {
    for (const auto& line : *lines) {
      add_evidence(v, line);
    }
  }
  return v;
}

} // namespace

std::optional<std::string> transcript_check_load(const std::string& check_id)
{
  if (check_id.rfind(k_prefix, 0) != 0 || check_id.size() == std::char_traits<char>::length(k_prefix)) {
    return std::nullopt;
  }
  return check_id.substr(std::char_traits<char>::length(k_prefix));
}

Check transcript_check(const std::string& check_id)
{
  const auto load = transcript_check_load(check_id);
  if (!load) {
    return nullptr;
  }
  return [load = *load](const ModuleEvidence& e, const LabFacts& facts) { return check_transcript(e, facts, load); };
}

std::string quoted_bytes(const std::string& bytes, std::size_t max)
{
  std::string out = "\"";
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  out += '"';
  if (bytes.size() > max) {
    out += fmt::format(" and {} more byte(s)", bytes.size() - max);
  }
  return out;
}

} // namespace kmgrade::evaluate
