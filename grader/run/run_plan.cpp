#include "run/run_plan.h"

#include "util/error.h"

#include <algorithm>
#include <sstream>
#include <utility>

namespace kmgrade::run {

namespace {

// What a dying kernel said about why: its first Oops/BUG/lockup line and its panic line,
// or else the last line of the console.
std::string console_summary(const std::string& console)
{
  std::istringstream in(console);
  std::string line;
  std::string last;
  std::string first_trouble;
  std::string panic;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto stamp_end = line[0] == '[' ? line.find("] ") : std::string::npos;
    std::string text = stamp_end == std::string::npos ? line : line.substr(stamp_end + 2);
    if (text.find_first_not_of(" \t") == std::string::npos) {
      continue;
    }
    last = text;
    if (first_trouble.empty() && observe::classify_log_line(text) != observe::KernelTrouble::none) {
      first_trouble = text;
    }
    if (panic.empty() && text.rfind("Kernel panic", 0) == 0) {
      panic = text;
    }
  }
  if (first_trouble.empty()) {
    return panic.empty() ? last : panic;
  }
  return panic.empty() || panic == first_trouble ? first_trouble : first_trouble + " / " + panic;
}

// The options of a plan's boot number `n`, whose results come after `before` others.
VmOptions boot_options(const VmOptions& options, int n, std::size_t before,
                       const std::function<void(const std::string&)>& progress)
{
  VmOptions boot = options;
  boot.work_dir = options.work_dir / ("boot-" + std::to_string(n));
  if (options.results_so_far) {
    boot.results_so_far = [all = options.results_so_far, before](std::size_t done) { all(before + done); };
  }
  if (progress) {
    boot.progress = [progress, n](const std::string& line) { progress("boot " + std::to_string(n) + ": " + line); };
  }
  return boot;
}

} // namespace

std::unique_ptr<EarlyBoot> start_first_boot(const VmOptions& options,
                                            const std::function<void(const std::string&)>& progress)
{
  return std::make_unique<EarlyBoot>(boot_options(options, 1, 0, progress));
}

std::vector<std::pair<observe::LoadRequest, observe::ModuleRun>>
claim_results(std::deque<observe::LoadRequest>& pending, std::vector<observe::ModuleRun> runs)
{
  std::vector<std::pair<observe::LoadRequest, observe::ModuleRun>> out;
  for (auto& run : runs) {
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const observe::LoadRequest& load) { return load.id == run.request.id; });
    if (it != pending.end()) {
      // The plan's request, not the guest's copy of it: a module could rewrite what it asked.
      run.request = *it;
      out.emplace_back(std::move(*it), std::move(run));
      pending.erase(it);
    }
  }
  return out;
}

PlanOutcome run_plan(const VmOptions& options, const observe::Plan& plan, const std::vector<GuestFile>& files,
                     const std::function<void(const std::string&)>& progress, EarlyBoot* first)
{
  PlanOutcome out;
  // Modules not loaded again, and why: one whose load hung or took the VM down would do it
  // again on every load, at a whole boot each.
  std::map<std::string, std::string> given_up;
  // A load with steps that hung rmmod or the kernel may have done so in its own scenario
  // alone (an Oops in one command's handler): the module's other scenarios still run, each in
  // a fresh VM, until it has done so this many times.
  constexpr int k_scenario_hangs = 3;
  std::map<std::string, int> scenario_hangs;
  auto give_up = [&](const observe::LoadRequest& load, const std::string& what, bool in_its_scenario) {
    if (in_its_scenario && !load.steps.empty() && ++scenario_hangs[load.module_name] < k_scenario_hangs) {
      return;
    }
    const std::string with = !load.name.empty()    ? load.name
                             : load.params.empty() ? "with no parameter"
                                                   : "with " + load.params;
    given_up.emplace(load.module_name,
                     "not run: the load " + with + " " + what + ", so " + load.module_name + " was not loaded again");
  };
  std::deque<observe::LoadRequest> pending(plan.loads.begin(), plan.loads.end());
  int retries_left = k_boot_retries;
  const auto stop_if_asked = [&options] {
    if (options.keep_going && !options.keep_going()) {
      throw Error("stopped before the sandbox ran every load");
    }
  };
  while (!pending.empty()) {
    stop_if_asked();
    observe::Plan part = plan;
    part.loads.clear();
    for (const auto& load : pending) {
      if (auto it = given_up.find(load.module_name); it != given_up.end()) {
        out.failures[load.id] = it->second;
      } else {
        part.loads.push_back(load);
      }
    }
    pending.assign(part.loads.begin(), part.loads.end());
    if (pending.empty()) {
      break;
    }
    VmOutcome o;
    try {
      if (first) {
        // Started before the plan was known: once, whatever comes of it.
        o = std::exchange(first, nullptr)->run(part, files);
      } else {
        o = run_in_vm(boot_options(options, out.boots + 1, out.report.runs.size() + out.failures.size(), progress),
                      part, files);
      }
      retries_left = k_boot_retries;
    } catch (const Error& e) {
      if (retries_left > 0) {
        --retries_left;
        if (progress) {
          progress("boot " + std::to_string(out.boots + 1) + ": " + e.what() + "; no module ran in it, booting again");
        }
        continue;
      }
      retries_left = k_boot_retries;
      if (out.boots == 0) {
        throw;
      }
      out.failures[pending.front().id] = e.what();
      pending.pop_front();
      continue;
    }
    stop_if_asked();
    ++out.boots;
    out.accel = o.accel;
    if (out.report.kernel.empty()) {
      out.report.kernel = o.report.kernel;
      out.report.cpus = o.report.cpus;
      out.report.page_size = o.report.page_size;
      out.report.clocksource = o.report.clocksource;
    }
    for (auto& note : o.report.notes) {
      // Every boot sets up the same way: its notes are the first boot's.
      if (std::find(out.report.notes.begin(), out.report.notes.end(), note) == out.report.notes.end()) {
        out.report.notes.push_back(std::move(note));
      }
    }
    auto claimed = claim_results(pending, std::move(o.report.runs));
    for (auto& [load, r] : claimed) {
      if (r.insmod.hung) {
        give_up(load, "never returned from insmod", false);
      } else if (r.rmmod.hung) {
        give_up(load, "never returned from rmmod", true);
      } else if (const auto stall = observe::module_stall(r); !stall.empty()) {
        give_up(load, "stalled the kernel (" + stall + ")", true);
      }
      out.report.runs.push_back(std::move(r));
    }
    if (pending.empty()) {
      break;
    }
    if (o.completed && claimed.empty()) {
      // Booting again for a load the agent finished without answering would never end.
      out.failures[pending.front().id] = "the sandbox agent finished its boot without a result for this load";
      pending.pop_front();
      continue;
    }
    if (o.completed) {
      const auto& last = out.report.runs.back();
      if (progress) {
        progress("load " + last.request.id + " left the kernel dirty (" + observe::dirty_reason(last) +
                 "); the next loads run in a fresh VM");
      }
      continue;
    }
    const observe::LoadRequest culprit = pending.front();
    pending.pop_front();
    std::string why = !o.stall.empty() ? "the sandbox VM was stopped during this load: " + o.stall
                      : o.timed_out
                        ? "the sandbox VM hung during this load and was stopped after " +
                            std::to_string(k_wall_time_factor * boot_timeout(options, part).count()) + " s of wall time"
                        : "the sandbox VM died during this load";
    const std::string said = console_summary(o.console);
    if (!said.empty()) {
      why += "; the kernel said: " + said;
    }
    out.failures[culprit.id] = why;
    give_up(culprit, !o.stall.empty() || o.timed_out ? "hung the sandbox VM" : "took the sandbox VM down", true);
    if (progress) {
      progress("load " + culprit.id + ": " + why + "; going on in a fresh VM");
    }
  }
  return out;
}

} // namespace kmgrade::run
