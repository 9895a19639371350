#pragma once

#include "observe/observation.h"
#include "run/initramfs.h"
#include "run/sandbox_kernel.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
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
// /sys/kernel/slab, the lockup watchdog at 4 s: a thread that spins on its CPU is reported as
// a soft lockup 8 to 10 s after it starts, well before the hung-task reports of the tasks it
// holds up (observe::Plan's hung_task_timeout_s), so the first report of the stall names the
// module's own thread. no_hash_pointers: trace events print the pointers they carry as they
// are, so an allocation and its free are matched by address (hashed, they read
// "(____ptrval____)" until the kernel's random pool is ready, then a hash). A lab that asks for
// it adds slub_debug (k_slub_debug), which implies no_hash_pointers.
inline constexpr const char* k_kernel_command_line = "console=ttyS0 panic=-1 slub_nomerge loglevel=4 tsc=reliable "
                                                     "watchdog_thresh=4 rcupdate.rcu_expedited=1 no_hash_pointers";
// slub_debug: sanity checks, red zones, poisoning and owner tracking catch double frees and
// corruption in the slab allocator, and report them naming the cache.
inline constexpr const char* k_slub_debug = "slub_debug=FZPU";

// How QEMU runs the guest: KVM, TCG's emulation, or whichever works (see resolve_accel).
enum class Accel { automatic, kvm, tcg };

// "auto", "kvm" or "tcg" as an Accel; throws Error naming the three otherwise.
Accel parse_accel(const std::string& text);

// The word parse_accel reads for `accel`. Cannot fail.
const char* to_string(Accel accel);

// How one boot runs.
struct VmOptions
{
  SandboxKernel kernel;
  Accel accel = Accel::automatic;
  int cpus = 2;
  int memory_mb = 1024;
  bool slub_debug = false; // boot with k_slub_debug (a lab file's sandbox.slub_debug)
  std::chrono::seconds timeout{
    0}; // per boot; 0: k_agent_start_seconds plus k_load_seconds per load, plus one load's worst case
  std::filesystem::path agent;     // the kmgrade-agent binary, becomes /init
  std::filesystem::path work_dir;  // scratch: image, console and channel files
  std::filesystem::path cache_dir; // where the KVM probe verdict is remembered
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
  std::string accel;      // "kvm" or "tcg", as used
  bool completed = false; // the agent said "done" (every load has a result)
  bool timed_out = false; // the whole boot ran past its limit
  std::string stall;      // why the VM was stopped early ("nothing came from its agent for 20 s"), or ""
  std::string console;    // the kernel console, capped, for evidence when the VM died
};

// What one boot runs: its plan, and the files (modules) its loads need in the guest.
struct BootPlan
{
  observe::Plan plan;
  std::vector<GuestFile> files;
};

// Boots the sandbox kernel with the agent as /init, hands the agent `plan` and `files` (into
// its root) on its channel, and runs the plan. The plan's secret is replaced by a fresh one.
// Throws Error when QEMU cannot be started, a file cannot be read, or the guest's agent never
// answered (a boot that failed before any module ran).
VmOutcome run_in_vm(const VmOptions& options, observe::Plan plan, const std::vector<GuestFile>& files);

// A sandbox VM started before its plan is known, so that it boots while the modules are
// built: the agent waits for its plan. `options.accel` must be resolved.
class EarlyBoot
{
public:
  explicit EarlyBoot(const VmOptions& options);
  // Stops a VM that was never given its plan, and waits for it.
  ~EarlyBoot();
  EarlyBoot(const EarlyBoot&) = delete;
  EarlyBoot& operator=(const EarlyBoot&) = delete;

  // What run_in_vm does, in the VM started already. Call it once.
  VmOutcome run(observe::Plan plan, std::vector<GuestFile> files);

private:
  VmOptions m_options;
  std::promise<BootPlan> m_plan;
  bool m_given = false;
  std::future<VmOutcome> m_outcome;
};

// The first line `qemu-system-x86_64 --version` prints. Throws Error when QEMU cannot be
// started.
std::string qemu_version();

// Accel::automatic resolved: KVM when /dev/kvm is usable and a real boot under it reaches
// the agent (remembered per QEMU and kernel version in options.cache_dir), TCG otherwise;
// options.accel when it is not automatic. Throws Error when qemu-system-x86_64 cannot be
// started to tell its version, or the verdict cannot be written to options.cache_dir.
Accel resolve_accel(const VmOptions& options);

// The most one load of `plan` may take before the agent itself gives up on it (settling, then
// insmod and rmmod each hanging until their watchdog, and every step running to its limit),
// with room for reading its trace.
// Cannot fail.
std::chrono::seconds load_limit(const observe::Plan& plan);

// A boot's limit in the time the guest had to run: options.timeout when set, else
// k_agent_start_seconds plus k_load_seconds per load of `plan`, plus load_limit(plan).
// Cannot fail.
std::chrono::seconds boot_timeout(const VmOptions& options, const observe::Plan& plan);

} // namespace kmgrade::run
