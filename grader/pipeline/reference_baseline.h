#pragma once

#include "observe/user_steps.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace kmgrade::pipeline {

// The times the reference modules reported at the lab's timing values: what a student's
// times sit beside in the report, and what the reference's steps gave. No verdict rests on the times, so one measurement serves every
// grade made by the same kmgrade build, reference, rubric, sandbox kernel and accelerator on
// the same machine, and the report says when and where it was taken.
struct ReferenceBaseline
{
  std::string measured_at; // UTC, "2026-11-28T09:15:00Z"
  std::string machine;     // this_machine() where it was measured
  std::string accel;       // "tcg" or "kvm"
  std::string kernel;      // the sandbox kernel's release
  unsigned runs = 1;       // loads at each timing value whose median time `times` holds
  // module id -> timing value -> reported ns; a value whose time was unreadable is absent.
  std::map<std::string, std::map<unsigned, std::uint64_t>> times;
  // module id -> name of a load with steps -> what each step gave: what the transcript checks
  // compare a student's steps with. The key's rubric hash covers the steps themselves.
  std::map<std::string, std::map<std::string, std::vector<observe::UserStepResult>>> steps;
};

// The processor model /proc/cpuinfo names ("Intel(R) Xeon(R) Processor"), or "unknown processor".
std::string processor_model();

// The host name, processor model and CPU count of this machine: "lab-server (Intel(R) Xeon(R)
// Processor, 2 CPUs)". Times measured on another machine are not reused here.
std::string this_machine();

// The current time, UTC, as ISO 8601 to the second.
std::string utc_now();

// What a baseline is valid for: a hash of everything its times depend on, and of the number
// of runs each time is the median of, so that one run is never passed off as a median of five.
std::string baseline_key(const std::string& build_sha256, const std::string& reference_sha256,
                         const std::string& kernel_sha256, const std::string& rubric_sha256, const std::string& accel,
                         const std::string& machine, unsigned runs);

// The baseline stored under `key` in `cache_dir`, or nullopt when there is none or it cannot
// be read (it is then measured again).
std::optional<ReferenceBaseline> load_baseline(const std::filesystem::path& cache_dir, const std::string& key);

// Stores `baseline` under `key`, replacing any earlier one in one rename, so grades running
// side by side never read half of it.
void save_baseline(const std::filesystem::path& cache_dir, const std::string& key, const ReferenceBaseline& baseline);

// Removes every stored baseline: the next grade measures the reference again.
void forget_baselines(const std::filesystem::path& cache_dir);

} // namespace kmgrade::pipeline
