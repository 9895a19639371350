#include "evaluate/scenario_check.h"

#include "evaluate/check_support.h"
#include "evaluate/transcript_check.h"
#include "score/scenario_tests.h"

#include <fmt/format.h>

#include <algorithm>

namespace kmgrade::evaluate {

using observe::StepKind;
using observe::UserStep;
using observe::UserStepResult;
using score::ScenarioTest;
using score::StepExpectation;
using Kind = StepExpectation::Kind;

namespace {

// The lines of `data` as `grep` sees them: a last line without its newline is a line too.
std::vector<std::string> lines_of(const std::string& data)
{
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < data.size();) {
    const auto end = std::min(data.find('\n', start), data.size());
    lines.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string trimmed(const std::string& line)
{
  const auto first = line.find_first_not_of(" \t");
  return first == std::string::npos ? "" : line.substr(first, line.find_last_not_of(" \t") - first + 1);
}

// The lines that hold something, each without spaces around it: what a read says, whatever
// its layout.
std::vector<std::string> names_in(const std::string& data)
{
  std::vector<std::string> names;
  for (const auto& line : lines_of(data)) {
    if (!trimmed(line).empty()) {
      names.push_back(trimmed(line));
    }
  }
  return names;
}

// "step 2 (read \"/proc/list/preview\")" of load `load`.
std::string step_name(const std::string& load, std::size_t step, const UserStep& s)
{
  return fmt::format("load {}, step {} ({} {})", load, step, observe::to_string(s.kind), quoted_bytes(s.path, 200));
}

// The load `name` when it can be looked at, else why not.
const observe::ModuleRun* usable_run(const ModuleEvidence& e, const LabFacts& facts, const std::string& name,
                                     std::string& why)
{
  const auto* run = e.named_run(name);
  if (!run) {
    const auto failure = e.named_failures.find(name);
    why = "the sandbox returned no result for load " + name +
          (failure == e.named_failures.end() ? std::string() : ": " + failure->second);
    return nullptr;
  }
  if (auto v = unusable(RunView(*run, facts), CrashGate::error)) {
    why = "load " + name + ": " + v->message;
    return nullptr;
  }
  return run;
}

struct Decision
{
  Status status = Status::pass;
  std::string message; // why it did not pass
  bool official_passed = false;
  std::string halts_checker; // TestOutcome::halts_checker
};

// Why a shell running the steps up to `step` of `run` one after another would never get past
// them: a write that returns 0 (echo writes again for ever) or a call that never returned.
std::string shell_stuck(const observe::ModuleRun& run, std::size_t step)
{
  for (std::size_t i = 0; i < step && i < run.steps.size(); ++i) {
    const auto& s = run.steps[i];
    const std::string what =
      fmt::format("step {} ({} {})", i + 1, observe::to_string(s.kind), quoted_bytes(s.path, 200));
    if (s.timed_out) {
      return what + " never returned";
    }
    if (s.kind == StepKind::write && s.result == 0 && i < run.request.steps.size() &&
        !run.request.steps[i].data.empty()) {
      return what + " returned 0, so echo writes again for ever";
    }
  }
  return "";
}

// One step of one load against a test's expectation and the course checker's.
Decision decide_step(const ModuleEvidence& e, const LabFacts& facts, const ScenarioTest& t, const std::string& load,
                     std::size_t step)
{
  std::string why;
  const auto* run = usable_run(e, facts, load, why);
  if (!run) {
    return {Status::error, why, false, why};
  }
  const auto& spec = run->request.steps.at(step - 1);
  const auto where = step_name(load, step, spec);
  if (step > run->steps.size()) {
    const auto stuck = where + " never ran: a step before it never returned";
    return {Status::error, stuck, false, stuck};
  }
  const auto& got = run->steps[step - 1];
  const UserStepResult* reference = nullptr;
  if (const auto found = e.reference_steps.find(load);
      found != e.reference_steps.end() && step <= found->second.size()) {
    reference = &found->second[step - 1];
  }
  const auto compares = [](const StepExpectation& ex) {
    return ex.kind == Kind::same_as_reference || ex.kind == Kind::format_as_reference;
  };
  const bool needs_reference = compares(t.expect) || (t.official_expect && compares(*t.official_expect));
  if (needs_reference && !reference) {
    return {Status::error,
            "the reference solution's " + where +
              " gave nothing to compare with: kmgrade could not grade this; grade again, with --fresh-reference",
            false, ""};
  }
  const auto ours = unmet(t.expect, spec, got, reference);
  const auto official = t.official_expect ? unmet(*t.official_expect, spec, got, reference) : ours;
  const auto stuck = shell_stuck(*run, step);
  Decision d{ours.empty() ? Status::pass : Status::fail, "", t.official && official.empty() && stuck.empty(),
             stuck.empty() ? "" : "load " + load + ", " + stuck};
  if (stuck.empty() && !run->left_behind.empty()) {
    // The checker loads the module afresh for its next test, which fails with the name taken.
    d.halts_checker = "load " + load + " left " + run->left_behind.front() +
                      " behind after rmmod, so the next insmod fails and the checker exits";
  }
  if (!ours.empty()) {
    d.message = where + " " + describe_step(got, spec.timeout_ms) + "; the test wants one that " +
                score::describe(t.expect) + " (" + ours + ")";
  }
  return d;
}

// Every read of the test's file in every named load, each against the reference's. A load
// that broke is left out, as its own tests say so; with none left the test is an error.
Decision decide_every_read(const ModuleEvidence& e, const LabFacts& facts, const ScenarioTest& t)
{
  std::size_t compared = 0;
  std::vector<std::string> broken;
  for (const auto& [load, reference] : e.reference_steps) {
    for (std::size_t i = 0; i < reference.size(); ++i) {
      if (reference[i].kind != StepKind::read || reference[i].path != t.every_read_of) {
        continue;
      }
      const auto d = decide_step(e, facts, t, load, i + 1);
      if (d.status == Status::error) {
        broken.push_back(d.message);
        break;
      }
      ++compared;
      if (d.status == Status::fail) {
        return d;
      }
    }
  }
  if (compared == 0) {
    return {Status::error,
            broken.empty() ? "no load read " + t.every_read_of + " in the reference's run" : broken.front(), false, ""};
  }
  return {Status::pass, "", t.official, ""};
}

} // namespace

std::string unmet(const StepExpectation& ex, const UserStep& step, const UserStepResult& got,
                  const UserStepResult* reference)
{
  if (got.timed_out) {
    return "it never returned, so a shell would still be waiting";
  }
  const bool failed = got.result < 0;
  const std::string data = failed ? "" : got.data;
  const auto lines = lines_of(data);
  auto holds = [&](const std::string& line) { return line.find(ex.text) != std::string::npos; };
  switch (ex.kind) {
    case Kind::succeeds:
      if (failed) {
        return "it failed";
      }
      if (step.kind == StepKind::write && got.result == 0) {
        return "a write that returns 0 makes echo write again for ever";
      }
      if (step.kind == StepKind::write && static_cast<std::size_t>(got.result) != step.data.size()) {
        return fmt::format("only {} of {} bytes were taken", got.result, step.data.size());
      }
      return "";
    case Kind::fails:
      return failed ? "" : "it succeeded";
    case Kind::fails_with:
      return failed && got.errno_name == ex.text ? "" : failed ? "another errno" : "it succeeded";
    case Kind::not_fails_with:
      return failed && got.errno_name == ex.text ? "it failed with " + ex.text : "";
    case Kind::is_type:
      return !failed && got.type == ex.text ? "" : failed ? "it is not there" : "it is a " + got.type;
    case Kind::contains:
    case Kind::lacks: {
      const auto texts = ex.lines.empty() ? std::vector<std::string>{ex.text} : ex.lines;
      for (const auto& text : texts) {
        const bool there = data.find(text) != std::string::npos;
        if (there != (ex.kind == Kind::contains)) {
          return "\"" + text + (there ? "\" is there" : "\" is not there");
        }
      }
      return "";
    }
    case Kind::newlines: {
      const auto n = std::count(data.begin(), data.end(), '\n');
      return n == ex.count ? "" : fmt::format("{} line(s)", n);
    }
    case Kind::lines_with: {
      const auto n = std::count_if(lines.begin(), lines.end(), holds);
      return n == ex.count ? "" : fmt::format("{} line(s) hold it", n);
    }
    case Kind::first_line_contains:
      return !lines.empty() && holds(lines.front()) ? "" : "the first line does not hold it";
    case Kind::last_line_contains:
      return !lines.empty() && holds(lines.back()) ? "" : "the last line does not hold it";
    case Kind::lines: {
      std::vector<std::string> got_lines;
      for (const auto& line : lines) {
        got_lines.push_back(trimmed(line));
      }
      return got_lines == ex.lines ? "" : fmt::format("{} line(s), not these", got_lines.size());
    }
    case Kind::same_as_reference:
      return reference ? step_difference(*reference, got, ex.compare) : "the reference gave nothing";
    case Kind::format_as_reference: {
      if (!reference) {
        return "the reference gave nothing";
      }
      const std::string want = reference->result < 0 ? "" : reference->data;
      // Other names than the reference's are the other tests' to judge; the layout is this one's.
      if (names_in(data) != names_in(want) || data == want) {
        return "";
      }
      return "the same names as the reference's, laid out otherwise: " + quoted_bytes(want) + " is the reference's";
    }
  }
  return "";
}

Check scenario_check(std::vector<ScenarioTest> tests)
{
  return [tests = std::move(tests)](const ModuleEvidence& e, const LabFacts& facts) {
    std::vector<TestOutcome> outcomes;
    for (const auto& t : tests) {
      const auto d =
        t.every_read_of.empty() ? decide_step(e, facts, t, t.load, t.step) : decide_every_read(e, facts, t);
      outcomes.push_back(
        {t.name, t.printed_as, t.points, d.status, d.message, t.official, d.official_passed, d.halts_checker});
    }
    std::vector<const TestOutcome*> failed;
    bool broken = false;
    for (const auto& o : outcomes) {
      if (o.status != Status::pass) {
        failed.push_back(&o);
        broken = broken || o.status == Status::error;
      }
    }
    Verdict v;
    if (failed.empty()) {
      v = pass(fmt::format("all {} test(s) pass", outcomes.size()));
    } else {
      std::string names;
      for (const auto* o : failed) {
        names += (names.empty() ? "" : ", ") + o->name;
      }
      v = broken ? error(fmt::format("{} of {} test(s) could not be decided or fail: {}. First: {}", failed.size(),
                                     outcomes.size(), names, failed.front()->message))
                 : fail(fmt::format("{} of {} test(s) fail: {}. First: {}", failed.size(), outcomes.size(), names,
                                    failed.front()->message));
    }
    for (const auto& o : outcomes) {
      add_evidence(v, o.name + ": " + (o.status == Status::pass ? "pass" : to_string(o.status) + (": " + o.message)));
    }
    v.tests = std::move(outcomes);
    return v;
  };
}

} // namespace kmgrade::evaluate
