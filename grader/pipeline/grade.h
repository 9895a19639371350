#pragma once

#include "report/report.h"
#include "intake/submission.h"
#include "run/sandbox_vm.h"
#include "score/rubric.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

namespace kmgrade::pipeline {

struct GradeOptions
{
  std::filesystem::path submission;
  std::filesystem::path rubric;    // the lab's file (rubric/<lab>.json), which names its reference solution
  std::filesystem::path agent;     // kmgrade-agent binary
  std::filesystem::path cache_dir; // reference builds, the KVM probe verdict
  std::filesystem::path work_dir;  // empty: a temporary folder, removed afterwards
  run::Accel accel = run::Accel::automatic;
  // Run the loads on this machine's own kernel, as root, instead of in the sandbox: built
  // against its headers, loaded by the agent as a child process (run/host_machine.h).
  bool host = false;
  // Measure the reference modules' times in this grade even when a baseline for this machine
  // is stored (see reference_baseline.h); the new one replaces it.
  bool fresh_reference = false;
  // Only these modules (rubric ids) are built and loaded; empty: every module. The others
  // are graded as if their files were missing.
  std::set<std::string> modules;
  // Loads at each of the lab's timing values whose median time the report gives, for the
  // student's modules and for a reference measured in this grade: the checks' own load and
  // timing_runs - 1 repeats after every load of the checks, which no check reads. At least 1.
  unsigned timing_runs = 1;
  std::chrono::seconds vm_timeout{0};               // per boot; 0: sized to the boot's loads
  std::function<void(const std::string&)> progress; // one line per stage; may be empty
  // Where the grade is, in a few words ("building", "booting", "load 12 of 29"), told at
  // every step and every load's result; may be empty.
  std::function<void(const std::string&)> stage;
  // Asked while builds and boots run; false stops the grade, which throws Error.
  std::function<bool()> keep_going;
};

// What the checks of `module` compare against: the rubric's values, and the page size of
// the kernel the loads ran on (4096 when unknown).
evaluate::LabFacts lab_facts(const score::Rubric& rubric, const score::ModuleSpec& module, long page_size);

// The verdict of the rubric's automatic check `check_id` ("hello.thread") on the
// evidence of its module, with the lab's facts and the page size of the kernel the loads ran on.
evaluate::Verdict run_check(const score::Rubric& rubric, const evaluate::ModuleEvidence& evidence, long page_size,
                            const std::string& check_id);

// The files the rubric's lab asks for, in the order that settles a file fitting several.
std::vector<intake::WantedFile> wanted_files(const score::Rubric& rubric);

// What a report's verdicts rest on besides the submission and the rubric. A report whose
// identity is not the current one is stale.
struct GraderIdentity
{
  std::string build_sha256;     // of the running kmgrade executable and the kmgrade-agent it starts
  std::string reference_sha256; // of the reference sources the rubric's modules build from
  std::string kernel_sha256;    // of the sandbox kernel: its version, image and headers' Module.symvers

  bool operator==(const GraderIdentity&) const = default;
};

// The identity of this grader with `options`. The executables and the kernel are hashed once
// per process and remembered; the reference sources are read every time. Throws Error when the
// reference solution lacks a file of the rubric.
GraderIdentity grader_identity(const GradeOptions& options, const score::Rubric& rubric,
                               const run::SandboxKernel& kernel);

// The hash of a lab as reports carry it (grader.lab.sha256): its file and its reference
// solution. Cannot fail.
std::string lab_sha256(const score::Rubric& rubric, const GraderIdentity& identity);

// Grades one submission end to end: intake, build, sandbox run (student and, unless their
// times are stored for this machine, reference modules in one boot), checks, score. Problems of the submission become verdicts; throws
// Error only when grading itself cannot go on (no sandbox kernel, the VM never started,
// an invalid rubric).
report::Report grade(const GradeOptions& options);

} // namespace kmgrade::pipeline
