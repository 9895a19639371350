#include "pipeline/grade.h"

#include "build/module_build.h"
#include "evaluate/common_checks.h"
#include "evaluate/registry.h"
#include "evaluate/scenario_check.h"
#include "evaluate/timing.h"
#include "evaluate/transcript_check.h"
#include "labs/lab_checks.h"
#include "intake/submission.h"
#include "pipeline/load_requests.h"
#include "pipeline/reference_baseline.h"
#include "run/host_machine.h"
#include "score/rubric.h"
#include "score/score.h"
#include "util/files.h"
#include "util/error.h"
#include "util/sha256.h"

#include <algorithm>
#include <functional>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#ifndef KMGRADE_VERSION
#define KMGRADE_VERSION "0.0.0"
#endif

namespace kmgrade::pipeline {

namespace fs = std::filesystem;

namespace {

// Builds, the sandbox's boot image and its logs, for one submission.
constexpr std::uint64_t k_scratch_bytes = 128ULL << 20;

// A scratch folder that is removed when grading ends, unless the caller chose it.
class WorkDir
{
public:
  explicit WorkDir(const fs::path& chosen)
  {
    if (!chosen.empty()) {
      m_path = chosen;
      fs::create_directories(m_path);
      util::require_free_space(m_path, k_scratch_bytes, "the work folder");
      return;
    }
    util::require_free_space(fs::temp_directory_path(), k_scratch_bytes, "the scratch folder (TMPDIR)");
    m_owned.emplace("kmgrade");
    m_path = m_owned->path();
  }
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
  std::optional<util::TempFolder> m_owned;
};

// The reference sources a grade builds, each with its module id: the same bytes, the same
// reference builds and the same timing baseline.
std::string reference_sources(const score::Rubric& rubric)
{
  const fs::path& reference_dir = rubric.reference_dir;
  std::string sources;
  for (const auto& m : rubric.modules) {
    const fs::path src = reference_dir / m.file;
    if (!fs::exists(src)) {
      throw Error("the reference solution has no " + m.file + " in " + reference_dir.string());
    }
    sources += m.id + '\0' + util::read_file(src) + '\0';
  }
  return sources;
}

// Hashes of files that do not change while kmgrade runs (the grader, its agent, the
// kernel), each read once per process (a batch asks for them per student) and kept under
// `cache_dir` by the files' stamps: hashing the grader's 80 MB took about a second a grade.
std::string sha256_of_files_once(const std::vector<fs::path>& paths, const fs::path& cache_dir)
{
  static std::mutex mutex;
  static std::map<std::vector<fs::path>, std::string> known;
  std::lock_guard lock(mutex);
  auto [it, fresh] = known.try_emplace(paths);
  if (fresh) {
    std::string stamps;
    for (const auto& p : paths) {
      stamps += util::file_stamp(p);
    }
    const fs::path kept = cache_dir / "hashes" / util::sha256_hex(stamps);
    std::error_code ec;
    if (!cache_dir.empty() && fs::file_size(kept, ec) == 64 && !ec) {
      it->second = util::read_file(kept);
    } else {
      std::string all;
      for (const auto& p : paths) {
        all += p.string() + '\0' + util::sha256_hex(util::read_file(p)) + '\0';
      }
      it->second = util::sha256_hex(all);
      if (!cache_dir.empty()) {
        util::write_file_atomically(kept, it->second);
      }
    }
  }
  return it->second;
}

// Builds the reference modules once per kernel and reference sources, under the cache.
// Each is built in this grade's own scratch folder and published into the cache with a
// rename, so grades running side by side never see each other's half-built modules.
std::map<std::string, build::ModuleBuild> build_reference(const score::Rubric& rubric, const GradeOptions& options,
                                                          const run::SandboxKernel& kernel, const fs::path& scratch)
{
  const fs::path dir = options.cache_dir / "reference" /
                       (kernel.version + "-" + util::sha256_hex(reference_sources(rubric)).substr(0, 16));
  std::map<std::string, build::ModuleBuild> out;
  for (const auto& m : rubric.modules) {
    const fs::path src = rubric.reference_dir / m.file;
    const std::string name = "kmgrade_ref_" + m.id;
    const fs::path ko = dir / m.id / (name + ".ko");
    build::ModuleBuild b;
    if (fs::exists(ko)) {
      b.module_name = name;
      b.ok = true;
      b.ko = ko;
    } else {
      b = build::build_module(src, name, {kernel.build_dir, scratch / m.id, {}, {}, {}});
      if (!b.ok) {
        throw Error("the reference " + m.file + " does not build against " + kernel.version + ":\n" + b.log);
      }
      util::write_file_atomically(ko, util::read_file(b.ko));
      b.ko = ko;
    }
    out[m.id] = b;
  }
  return out;
}

// This machine's running kernel, once it has everything the rubric's plan needs.
run::SandboxKernel host_kernel(const score::Rubric& rubric)
{
  const run::HostFacts host = run::this_host();
  if (const auto missing =
        run::missing_for_host(host, rubric.trace_events, rubric.trace_functions, rubric.cpus_needed());
      !missing.empty()) {
    throw Error(run::describe_missing(missing));
  }
  return run::running_kernel(host);
}

using Evidence = std::map<std::string, evaluate::ModuleEvidence>;
using Say = std::function<void(const std::string&)>;

// Builds each file on its own, so one broken file costs only its own module, and all at
// once, each in its own sandbox and folder: the student's evidence, one per module of the lab.
Evidence build_student_modules(const score::Rubric& rubric, intake::Submission& submission,
                               const std::map<std::string, std::string>& found_at, const run::SandboxKernel& kernel,
                               const fs::path& work, const Say& say, const Say& at)
{
  Evidence student;
  std::map<std::string, std::future<build::ModuleBuild>> builds;
  for (const auto& m : rubric.modules) {
    evaluate::ModuleEvidence e;
    e.module_id = m.id;
    e.file = m.file;
    e.module_name = m.module_name;
    auto found = submission.files.find(m.file);
    if (found != submission.files.end()) {
      e.found_at = found_at.at(m.file);
      build::BuildOptions bopts{kernel.build_dir, work / "build" / m.id,       {},
                                submission.root,  submission.includes[m.file], rubric.compat_header};
      builds[m.id] = std::async(std::launch::async, build::build_module, found->second, m.module_name, bopts);
    }
    student[m.id] = std::move(e);
  }
  std::string building;
  for (const auto& m : rubric.modules) {
    if (builds.count(m.id)) {
      building += (building.empty() ? "" : ", ") + m.file;
    }
  }
  if (!building.empty()) {
    at("building");
    say("building " + building);
  }
  for (const auto& m : rubric.modules) {
    if (auto found = builds.find(m.id); found != builds.end()) {
      auto& e = student[m.id];
      e.build = found->second.get();
      say(m.file + (e.build->ok ? ": built" : ": does not build; the report's check " + m.id + ".build says why"));
    }
  }
  return student;
}

// The student's loads, after the reference's. The timing repeats come after every load of the
// checks, so the checks see the same loads in the same kernel as with one run, and a repeat
// that breaks the kernel costs no verdict.
void add_student_loads(const score::Rubric& rubric, unsigned runs, Evidence& student, observe::Plan& plan,
                       std::vector<run::GuestFile>& files)
{
  for (unsigned round = 1; round <= runs; ++round) {
    for (const auto& m : rubric.modules) {
      auto& e = student[m.id];
      if (!e.build || e.build->ko.empty()) {
        continue;
      }
      const std::string guest = "/modules/student/" + m.module_name + ".ko";
      if (round == 1) {
        files.push_back({guest, e.build->ko, "", 0644});
      }
      for (const auto& load : m.loads) {
        const std::string params = score::params_text(load.params);
        if (round > 1 && (!load.steps.empty() || !timing_load(rubric, load.params))) {
          continue;
        }
        plan.loads.push_back(load_request(rubric, "student", m, guest, m.module_name, load, round));
        if (round == 1) {
          e.planned_params.push_back(params);
        }
      }
    }
  }
}

// Each load's result to the evidence of its module, the student's or the reference's; a load
// without one to why, and to the report's notes.
void file_results(const observe::Plan& plan, run::PlanOutcome& outcome, std::size_t max_log_lines, Evidence& student,
                  Evidence& reference, std::vector<std::string>& notes)
{
  auto owner = [&](const LoadId& id) -> evaluate::ModuleEvidence& {
    return (id.reference ? reference : student)[id.module_id];
  };
  for (auto& run : outcome.report.runs) {
    if (run.log_dropped > 0) {
      notes.push_back("load " + run.request.id + ": the module flooded the kernel log; the report keeps its first " +
                      "and last " + std::to_string(max_log_lines / 2) + " lines and cut " +
                      std::to_string(run.log_dropped) + " in between");
    }
    const LoadId id = parse_load_id(run.request.id);
    auto& evidence = owner(id);
    (id.timing_repeat ? evidence.timing_repeats : evidence.runs).push_back(std::move(run));
  }
  for (const auto& [load, why] : outcome.failures) {
    const LoadId id = parse_load_id(load);
    const auto request = std::find_if(plan.loads.begin(), plan.loads.end(),
                                      [&load = load](const observe::LoadRequest& r) { return r.id == load; });
    if (request != plan.loads.end() && !request->name.empty()) {
      owner(id).named_failures[request->name] = why;
    } else if (!id.timing_repeat) {
      owner(id).sandbox_failures[id.params] = why;
    }
    notes.push_back("load " + load + ": " + why);
  }
}

} // namespace

evaluate::LabFacts lab_facts(const score::Rubric& rubric, const score::ModuleSpec& module, long page_size)
{
  evaluate::LabFacts facts;
  facts.params = rubric.params;
  facts.numbers = rubric.facts;
  facts.printed = rubric.printed;
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      const auto dot = c.id.find('.');
      if (facts.param_check.empty() && c.id.substr(0, dot) == module.id &&
          evaluate::parameter_check_value(c.id.substr(dot + 1))) {
        facts.param_check = c.id.substr(dot + 1);
      }
    }
  }
  facts.page_size = page_size > 0 ? page_size : 4096;
  facts.timed_param = rubric.timing.param;
  facts.timing_values = rubric.timing.values;
  facts.timing_max_ratio = rubric.timing.max_ratio;
  facts.timing_slack_ns = rubric.timing.slack_ns;
  facts.timing_resolution_ns = rubric.timing.resolution_ns;
  facts.tick_ns = rubric.timing.tick_ns;
  facts.work_events = module.work_events;
  facts.allocations = rubric.allocations;
  facts.foreign_events = rubric.foreign_events;
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      const auto dot = c.id.find('.');
      const auto load = evaluate::transcript_check_load(c.id.substr(dot + 1));
      if (load && c.id.substr(0, dot) == module.id) {
        facts.transcript_compare[*load] = c.compare;
      }
    }
  }
  return facts;
}

evaluate::Verdict run_check(const score::Rubric& rubric, const evaluate::ModuleEvidence& evidence, long page_size,
                            const std::string& check_id)
{
  const auto dot = check_id.find('.');
  const std::string module = check_id.substr(0, dot);
  const std::string check = check_id.substr(dot + 1);
  const auto* listed = rubric.check(check_id);
  return evaluate::evaluate(evidence, lab_facts(rubric, *rubric.module(module), page_size),
                            listed && !listed->tests.empty()
                              ? evaluate::scenario_check(listed->tests)
                              : evaluate::find_check(labs::own_checks(rubric.lab_checks), module, check),
                            check);
}

namespace {

// The verdict of every automatic check of the lab.
std::map<std::string, evaluate::Verdict> evaluate_checks(const score::Rubric& rubric, const Evidence& student,
                                                         long page_size)
{
  std::map<std::string, evaluate::Verdict> verdicts;
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      if (!c.manual) {
        verdicts[c.id] = run_check(rubric, student.at(c.id.substr(0, c.id.find('.'))), page_size, c.id);
      }
    }
  }
  return verdicts;
}

} // namespace

std::vector<intake::WantedFile> wanted_files(const score::Rubric& rubric)
{
  std::vector<intake::WantedFile> wanted;
  for (const auto* m : rubric.modules_by_identify_order()) {
    wanted.push_back({m->file, m->identify_by});
  }
  return wanted;
}

GraderIdentity grader_identity(const GradeOptions& options, const score::Rubric& rubric,
                               const run::SandboxKernel& kernel)
{
  GraderIdentity id;
  // The path of the running program, whatever name it was started by.
  id.build_sha256 = sha256_of_files_once({fs::read_symlink("/proc/self/exe"), options.agent}, options.cache_dir);
  id.reference_sha256 = util::sha256_hex(reference_sources(rubric));
  // The headers' Module.symvers holds the CRC of every exported symbol: a rebuilt kernel of
  // the same version string changes it. A running kernel has no image to hash: its build
  // string (/proc/version) stands in.
  id.kernel_sha256 = util::sha256_hex(
    kernel.version + '\0' +
    (kernel.image.empty()
       ? util::read_file("/proc/version") + '\0' +
           sha256_of_files_once({kernel.build_dir / "Module.symvers"}, options.cache_dir)
       : sha256_of_files_once({kernel.image, kernel.build_dir / "Module.symvers"}, options.cache_dir)));
  return id;
}

std::string lab_sha256(const score::Rubric& rubric, const GraderIdentity& identity)
{
  return util::sha256_hex(rubric.sha256 + '\0' + identity.reference_sha256);
}

report::Report grade(const GradeOptions& options)
{
  const auto started = std::chrono::steady_clock::now();
  // The sandbox's first boot tells its progress from a thread of its own while the modules
  // are built.
  std::mutex saying;
  auto say = [&](const std::string& line) {
    if (options.progress) {
      std::lock_guard lock(saying);
      options.progress(line);
    }
  };
  const score::Rubric rubric = score::load_rubric(options.rubric);
  const run::SandboxKernel kernel = options.host ? host_kernel(rubric) : run::find_sandbox_kernel();
  const auto wanted = wanted_files(rubric);
  WorkDir work(options.work_dir);
  build::check_build_sandbox(kernel.build_dir);
  auto at = [&](const std::string& stage) {
    if (options.stage) {
      options.stage(stage);
    }
  };
  at("reading");
  say("reading " + options.submission.string());
  intake::Submission submission = intake::open_submission(options.submission, wanted, work.path() / "submission");

  report::Report rep;
  rep.grader_version = KMGRADE_VERSION;
  rep.rubric_id = rubric.id;
  rep.rubric_sha256 = rubric.sha256;
  const GraderIdentity identity = grader_identity(options, rubric, kernel);
  rep.build_sha256 = identity.build_sha256;
  rep.reference_sha256 = identity.reference_sha256;
  rep.kernel_sha256 = identity.kernel_sha256;
  rep.lab_sha256 = lab_sha256(rubric, identity);
  if (!options.modules.empty()) {
    for (const auto& m : rubric.modules) {
      if (!options.modules.count(m.id)) {
        submission.files.erase(m.file);
      }
    }
  }
  rep.submission_path = options.submission.string();
  rep.submission_sha256 = submission.sha256;
  rep.notes = submission.notes;
  for (const auto& [name, path] : submission.files) {
    rep.files[name] = fs::relative(path, submission.root).string();
  }

  run::VmOptions vm;
  vm.kernel = kernel;
  vm.accel = options.accel;
  vm.agent = options.agent;
  vm.work_dir = work.path() / "vm";
  vm.cache_dir = options.cache_dir;
  vm.timeout = options.vm_timeout;
  vm.slub_debug = rubric.slub_debug;
  vm.keep_going = options.keep_going;
  observe::Plan plan;
  // Told only once the plan is complete: results come after the agent has it.
  vm.results_so_far = [&at, &plan](std::size_t done) {
    at("load " + std::to_string(done) + " of " + std::to_string(plan.loads.size()));
  };
  std::unique_ptr<run::EarlyBoot> first_boot;
  if (!options.host) {
    say("resolving the sandbox accelerator");
    vm.accel = run::resolve_accel(vm);
    first_boot = run::start_first_boot(vm, say);
  }
  const std::string accel = options.host ? "host" : run::to_string(vm.accel);
  auto student = build_student_modules(rubric, submission, rep.files, kernel, work.path(), say, at);

  const std::string machine = this_machine();
  const unsigned runs = options.timing_runs;
  const std::string baseline_id = baseline_key(identity.build_sha256, identity.reference_sha256, identity.kernel_sha256,
                                               rubric.sha256, accel, machine, runs);
  std::optional<ReferenceBaseline> baseline;
  if (!options.fresh_reference) {
    baseline = load_baseline(options.cache_dir, baseline_id);
  }
  const bool measured_here = !baseline;
  const std::string medians = runs > 1 ? " (medians of " + std::to_string(runs) + " runs)" : "";
  say(measured_here
        ? "reference times" + medians + ": measured in this grade"
        : "reference times" + medians + ": reusing those measured " + baseline->measured_at + " on this machine");

  // One plan for every load, the reference first (unless its times are known already), so a
  // student's leftovers cannot skew it; the sandbox boots again only when a load leaves the
  // kernel dirty.
  plan.events = rubric.trace_events;
  plan.functions = rubric.trace_functions;
  plan.module_calls = rubric.module_calls;
  plan.activity_events = rubric.activity_events;
  plan.allocations = rubric.allocations;
  std::vector<run::GuestFile> files;
  std::map<std::string, evaluate::ModuleEvidence> reference;
  if (measured_here) {
    say("building the reference modules");
    auto reference_builds = build_reference(rubric, options, kernel, work.path() / "reference");
    for (const auto& m : rubric.modules) {
      const auto& b = reference_builds.at(m.id);
      files.push_back({"/modules/reference/" + b.module_name + ".ko", b.ko, "", 0644});
      evaluate::ModuleEvidence& e = reference[m.id];
      e.module_id = m.id;
      e.file = m.file;
      e.module_name = b.module_name;
      for (unsigned value : rubric.timing.values) {
        e.planned_params.push_back(timing_params(rubric, value));
      }
    }
    for (unsigned round = 1; round <= runs; ++round) {
      for (const auto& m : rubric.modules) {
        const auto& e = reference.at(m.id);
        const std::string guest = "/modules/reference/" + e.module_name + ".ko";
        for (const auto& params : e.planned_params) {
          plan.loads.push_back(
            module_load(rubric, m, load_id("reference", m.id, params, round), guest, e.module_name, params));
        }
        // The loads with steps, once: what the student's same loads are compared with.
        for (const auto& load : m.loads) {
          if (round == 1 && !load.steps.empty()) {
            plan.loads.push_back(load_request(rubric, "reference", m, guest, e.module_name, load, round));
          }
        }
      }
    }
  }
  add_student_loads(rubric, runs, student, plan, files);
  // A probe on a lock function costs every call of it in the guest, and setting one up can
  // fail a boot under TCG: only the functions a module in this boot imports are probed. A
  // module built without MODVERSIONS lists no imports, and then every one is.
  std::set<std::string> imported;
  bool imports_known = true;
  for (const auto& file : files) {
    const auto info = build::read_module_info(file.source);
    imports_known = imports_known && !info.imports.empty();
    imported.insert(info.imports.begin(), info.imports.end());
  }
  if (imports_known) {
    std::erase_if(plan.module_calls, [&imported](const std::string& fn) { return !imported.count(fn); });
  }

  say("running " + std::to_string(plan.loads.size()) + " module loads " +
      (options.host ? "on this machine's own kernel, Linux " + kernel.version
                    : "in the sandbox (" + accel + ", Linux " + kernel.version + ")"));
  at("booting");
  run::PlanOutcome outcome =
    options.host ? run::run_on_host({options.agent, work.path() / "host", options.vm_timeout}, plan, files)
                 : run::run_plan(vm, plan, files, say, first_boot.get());
  rep.kernel = outcome.report.kernel;
  rep.accel = outcome.accel;
  rep.cpus = outcome.report.cpus;
  rep.page_size = outcome.report.page_size;
  rep.clocksource = outcome.report.clocksource;
  rep.boots = outcome.boots;
  for (const auto& note : outcome.report.notes) {
    rep.notes.push_back("the kernel the checks ran on: " + note);
  }
  rep.loads = outcome.report.runs.size();
  file_results(plan, outcome, plan.max_log_lines, student, reference, rep.notes);

  if (measured_here) {
    // Kept for later grades only when every reference load gave its time and ran its steps.
    ReferenceBaseline measured{utc_now(), machine, accel, kernel.version, runs, {}, {}};
    bool complete = true;
    for (const auto& m : rubric.modules) {
      for (const auto& load : m.loads) {
        const auto* run = load.steps.empty() ? nullptr : reference.at(m.id).named_run(load.name);
        if (run && run->steps.size() == load.steps.size()) {
          measured.steps[m.id][load.name] = run->steps;
        } else {
          complete = complete && load.steps.empty();
        }
      }
    }
    for (const auto& m : rubric.modules) {
      const auto times = evaluate::reported_times(reference.at(m.id), lab_facts(rubric, m, rep.page_size));
      complete = complete && times.size() == rubric.timing.values.size();
      for (const auto& [value, each] : times) {
        complete = complete && each.size() == runs;
        measured.times[m.id][value] = *evaluate::median(each);
      }
    }
    if (complete) {
      save_baseline(options.cache_dir, baseline_id, measured);
    }
    baseline = std::move(measured);
  }
  for (const auto& [module_id, loads] : baseline->steps) {
    if (student.count(module_id)) {
      student.at(module_id).reference_steps = loads;
    }
  }

  at("checking");
  rep.score = score::apply_rubric(rubric, evaluate_checks(rubric, student, rep.page_size));
  rep.reference_times = {measured_here, baseline->measured_at, baseline->machine, baseline->accel, baseline->runs};
  rep.timing_runs = runs;
  for (const auto& m : rubric.modules) {
    for (auto& row : evaluate::measure(student.at(m.id), baseline->times[m.id], lab_facts(rubric, m, rep.page_size))) {
      rep.measurements.push_back(row);
    }
  }
  rep.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return rep;
}

} // namespace kmgrade::pipeline
