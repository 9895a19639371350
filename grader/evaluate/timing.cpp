#include "evaluate/timing.h"

#include "evaluate/check_support.h"
#include "evaluate/printed_text.h"

#include <algorithm>

namespace kmgrade::evaluate {

std::optional<std::uint64_t> traced_ns(const RunView& view, const LabFacts& facts)
{
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> last;
  for (std::size_t i = 0; i < view.events().size(); ++i) {
    if (is_work_event(view, i, facts)) {
      first = first ? *first : view.events()[i].event.ts_ns;
      last = view.events()[i].event.ts_ns;
    }
  }
  if (!first) {
    return std::nullopt;
  }
  return *last - *first;
}

std::optional<std::uint64_t> reported_ns(const RunView& view, const LabFacts& facts)
{
  std::uint64_t last_work = 0;
  for (std::size_t i = 0; i < view.events().size(); ++i) {
    if (is_work_event(view, i, facts)) {
      last_work = view.events()[i].event.ts_ns;
    }
  }
  // The first message after the work that carries a time; a bare number counts as ns.
  for (bool bare : {false, true}) {
    for (const auto* ev : view.thread_messages()) {
      if (ev->ts_ns < last_work) {
        continue;
      }
      if (auto ns = parse_reported_ns(message_text(*ev), bare)) {
        return ns;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> median(std::vector<std::uint64_t> values)
{
  if (values.empty()) {
    return std::nullopt;
  }
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) {
    return *middle;
  }
  const std::uint64_t below = *std::max_element(values.begin(), middle);
  // Halved apart so that two times near the top of the range do not overflow.
  return below / 2 + *middle / 2 + (below % 2 + *middle % 2) / 2;
}

namespace {

// What a module's loads at the timed parameter's `value` gave: the first successful load of the checks, then
// every successful timing repeat, in plan order.
std::vector<RunTimes> runs_at(const ModuleEvidence& e, unsigned value, const LabFacts& facts)
{
  std::vector<RunTimes> out;
  auto add = [&](const RunView& view) { out.push_back({reported_ns(view, facts), traced_ns(view, facts)}); };
  for (const auto& run : e.runs) {
    RunView view(run, facts);
    if (view.number(facts.timed_param) == value && run.insmod.ok) {
      add(view);
      break;
    }
  }
  for (const auto& run : e.timing_repeats) {
    RunView view(run, facts);
    if (view.number(facts.timed_param) == value && run.insmod.ok) {
      add(view);
    }
  }
  return out;
}

// The times `field` holds in `runs`, in their order, leaving out the runs that did not give it.
std::vector<std::uint64_t> given(const std::vector<RunTimes>& runs, std::optional<std::uint64_t> RunTimes::*field)
{
  std::vector<std::uint64_t> out;
  for (const auto& run : runs) {
    if (run.*field) {
      out.push_back(*(run.*field));
    }
  }
  return out;
}

} // namespace

std::map<unsigned, std::vector<std::uint64_t>> reported_times(const ModuleEvidence& evidence, const LabFacts& facts)
{
  std::map<unsigned, std::vector<std::uint64_t>> times;
  for (unsigned value : facts.timing_values) {
    if (auto reported = given(runs_at(evidence, value, facts), &RunTimes::reported_ns); !reported.empty()) {
      times[value] = std::move(reported);
    }
  }
  return times;
}

std::vector<Measurement> measure(const ModuleEvidence& student, const std::map<unsigned, std::uint64_t>& reference,
                                 const LabFacts& facts)
{
  std::vector<Measurement> rows;
  for (unsigned value : facts.timing_values) {
    Measurement m;
    m.module = student.module_id;
    m.param = facts.timed_param;
    m.value = value;
    m.each_run = runs_at(student, value, facts);
    const auto reported = given(m.each_run, &RunTimes::reported_ns);
    m.reported_ns = median(reported);
    m.traced_ns = median(given(m.each_run, &RunTimes::traced_ns));
    m.runs = static_cast<unsigned>(reported.size());
    if (auto found = reference.find(value); found != reference.end()) {
      m.reference_ns = found->second;
    }
    rows.push_back(m);
  }
  return rows;
}

} // namespace kmgrade::evaluate
