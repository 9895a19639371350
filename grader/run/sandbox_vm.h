#pragma once

#include "observe/observation.h"
#include "run/initramfs.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kmgrade::run {

// How long the guest may take to boot to its agent. No student code runs before the agent
// answers, so nothing hostile is waited for: a bare boot takes about 4 s under emulation, but
// a machine busy with other work can starve the VM many times over, and a student must not
// lose a grade to that.
inline constexpr int k_agent_start_seconds = 180;
// Boots that never reach the agent are tried again this many times: no module has run in
// such a boot, so its failure is the machine's, never a student's.
inline constexpr int k_boot_retries = 2;
// A boot's time limit when none is given is the start plus this much per load (a load takes
// about 2 s under emulation): short enough that a hung module does not stall a class. Behind
// it, a load that makes no progress for its own worst case stops the VM sooner.
inline constexpr int k_load_seconds = 10;
// The agent's heartbeat comes every 2 s: this long without it, the guest is wedged.
inline constexpr int k_silent_seconds = 20;
// The limits above count the time the guest had to run; a boot is stopped all the same once
// its wall time reaches this many times its limit, however busy the machine.
inline constexpr int k_wall_time_factor = 5;

// The sandbox kernel's command line: slub_nomerge so a student's cache is its own entry in
// /sys/kernel/slab, slub_debug to catch double frees and corruption, the lockup watchdog at 4 s:
// a thread that spins on its CPU is reported as a soft lockup 8 to 10 s after it starts,
// well before the hung-task reports of the tasks it holds up (observe::Plan's
// hung_task_timeout_s), so the first report of the stall names the module's own thread.
inline constexpr const char* k_kernel_command_line =
  "console=ttyS0 panic=-1 slub_nomerge slub_debug=FZPU loglevel=4 tsc=reliable watchdog_thresh=4 "
  "rcupdate.rcu_expedited=1";

// The kernel the sandbox boots and the headers student code is built against: one version.
struct SandboxKernel
{
  std::string version;             // "6.1.0-56-amd64"
  std::filesystem::path image;     // /boot/vmlinuz-<version>
  std::filesystem::path build_dir; // /lib/modules/<version>/build
};

// The newest installed kernel that has both an image in /boot and headers. Throws Error
// naming the missing package when there is none.
SandboxKernel find_sandbox_kernel();

enum class Accel { automatic, kvm, tcg };

Accel parse_accel(const std::string& text); // "auto" | "kvm" | "tcg"; throws Error otherwise
const char* to_string(Accel accel);

struct VmOptions
{
  SandboxKernel kernel;
  Accel accel = Accel::automatic;
  int cpus = 2;
  int memory_mb = 1024;
  std::chrono::seconds timeout{0}; // per boot; 0: k_agent_start_seconds plus k_load_seconds per load, plus one load's worst case
  std::filesystem::path agent;       // the kmgrade-agent binary, becomes /init
  std::filesystem::path work_dir;    // scratch: image, console and channel files
  std::filesystem::path cache_dir;   // where the KVM probe verdict is remembered
  // Told when the VM starts, when its agent answers and when it has run every load, with
  // the seconds since the VM started.
  std::function<void(const std::string&)> progress;
  // Told each time a load's result comes, with how many loads of the plan have an outcome.
  std::function<void(std::size_t)> results_so_far;
  // Asked about twice a second while the VM runs; false stops it, and run_plan throws Error.
  std::function<bool()> keep_going;
};

// What came back from one boot.
struct VmOutcome
{
  observe::GuestReport report;
  std::string accel;          // "kvm" or "tcg", as used
  bool completed = false;     // the agent said "done" (every load has a result)
  bool timed_out = false;     // the whole boot ran past its limit
  std::string stall;          // why the VM was stopped early ("nothing came from its agent for 20 s"), or ""
  std::string console;        // the kernel console, capped, for evidence when the VM died
};

// Boots the sandbox kernel with the agent as /init, `files` (modules) in its root, and runs
// `plan`. The plan's secret is replaced by a fresh one. Throws Error when QEMU cannot be
// started or the guest never answered at all.
VmOutcome run_in_vm(const VmOptions& options, observe::Plan plan, const std::vector<GuestFile>& files);

// The outcome of a whole plan, over as many boots as it took.
struct PlanOutcome
{
  observe::GuestReport report; // every run that came back, in plan order
  std::string accel;
  int boots = 0;
  std::map<std::string, std::string> failures; // load id -> why it has no result
};

// Runs every load of `plan`, in a fresh VM after any load that left the kernel dirty (see
// observe::dirty_reason) and after any load during which the VM died or hung; such a load
// gets a failure instead of a result. A module whose insmod or rmmod never returned, whose
// code stalled the kernel (observe::module_stall), or during whose load the VM died or hung,
// is not loaded again: its later loads get failures. A boot that never reaches the agent is
// tried again up to k_boot_retries times before the next pending load gets the failure, or,
// on the very first boot, before Error is thrown (the sandbox itself is broken). Throws Error
// as soon as options.keep_going says to stop.
PlanOutcome run_plan(const VmOptions& options, const observe::Plan& plan, const std::vector<GuestFile>& files,
                     const std::function<void(const std::string&)>& progress);

// One boot's runs paired with the pending loads they answer, by load id, in the order the
// runs came; each answered load leaves `pending`. A run that answers no pending load (an id
// the plan does not have, or one answered already) is dropped.
std::vector<std::pair<observe::LoadRequest, observe::ModuleRun>> claim_results(std::deque<observe::LoadRequest>& pending,
                                                                              std::vector<observe::ModuleRun> runs);

// Accel::automatic resolved: KVM when /dev/kvm is usable and a real boot under it reaches
// the agent (remembered per QEMU and kernel version in options.cache_dir), TCG otherwise.
Accel resolve_accel(const VmOptions& options);

// A fresh secret for the agent's channel: only lines carrying it are the agent's.
std::string random_secret();

// The most one load of `plan` may take before the agent itself gives up on it (settling, then
// insmod and rmmod each hanging until their watchdog), with room for reading its trace.
std::chrono::seconds load_limit(const observe::Plan& plan);

// Parses the agent's channel output, keeping only lines that carry `secret`.
observe::GuestReport parse_channel(const std::string& text, const std::string& secret, bool& completed);

} // namespace kmgrade::run
