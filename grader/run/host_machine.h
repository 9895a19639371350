#pragma once

#include "observe/observation.h"
#include "run/initramfs.h"
#include "run/run_plan.h"
#include "run/sandbox_kernel.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::run {

// The machine kmgrade runs on, for `--host`: the plan runs on its own kernel, not in the
// sandbox. Every path is read under `root`, so a test can stand a folder in for the machine.
struct HostFacts
{
  std::filesystem::path root = "/";
  std::string kernel_release; // uname -r
  bool root_user = false;     // effective user id 0
};

// This machine: its kernel release and whether kmgrade runs as root.
HostFacts this_host();

// One thing the machine lacks before a plan can run on it, with what to do about it.
struct MissingPiece
{
  std::string what; // "no headers for the running kernel 6.1.0-28-amd64"
  std::string fix;  // "sudo apt install linux-headers-6.1.0-28-amd64"
};

// Everything a plan needs from the machine that it does not have: root, the headers of the
// running kernel, tracefs with `events` and (when `functions` is not empty) the function
// tracer, module loading allowed and not locked down, and `cpus_needed` CPUs online (two for
// a lab with a pinning check). What cannot be seen without root (tracefs) is judged only as root.
std::vector<MissingPiece> missing_for_host(const HostFacts& host, const std::vector<std::string>& events,
                                           const std::vector<std::string>& functions, unsigned cpus_needed);

// The pieces as one message a student can act on, one line each.
std::string describe_missing(const std::vector<MissingPiece>& missing);

// The running kernel as the kernel a plan runs on: its release and the headers to build
// against. It has no image: it is already running.
SandboxKernel running_kernel(const HostFacts& host);

struct HostRunOptions
{
  std::filesystem::path agent;     // the kmgrade-agent binary, run as an ordinary program
  std::filesystem::path work_dir;  // its plan and channel files
  std::chrono::seconds timeout{0}; // 0: k_load_seconds per load, plus one load's worst case
};

// Runs every load of `plan` on this machine's kernel with the agent as a child process, each
// module from the file that `files` puts at its load's path (a path not among `files` is used
// as it is). A machine cannot be booted again: after a load that leaves the kernel dirty, or
// whose call never returned, the remaining loads get failures saying to reboot. Throws Error
// when the agent cannot run at all.
PlanOutcome run_on_host(const HostRunOptions& options, observe::Plan plan, const std::vector<GuestFile>& files);

} // namespace kmgrade::run
