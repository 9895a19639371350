#pragma once

#include "observe/event_stream.h"
#include "observe/kernel_log.h"
#include "observe/user_steps.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kmgrade::observe {

// One module load the guest agent is asked to perform.
struct LoadRequest
{
  std::string id;          // unique in the plan, e.g. "student/hello/count=5"
  std::string module_path; // path of the .ko inside the guest
  std::string module_name; // name the kernel knows it by (kmlab_hello)
  std::string params;      // "count=5", or "" for the default
  int settle_timeout_ms = 30000;
  int call_timeout_ms = 20000;    // insmod or rmmod not back by then: the call hung
  int threadless_settle_ms = 150; // a module that started no thread has settled after this long
  std::string name{};             // the lab's name for this load ("echo"); "" for a load it did not name
  // What user space does, in order, once the module settled and before rmmod.
  std::vector<UserStep> steps{};
  // Paths the module must have removed once rmmod returns ("/proc/list").
  std::vector<std::string> removes{};
};

// What starts every line of the agent's results channel: "KMG <secret> ", then the kind of
// line and its JSON. A line without it is not the agent's.
std::string channel_prefix(const std::string& secret);

// An allocation event a lab watches and the event that frees it, matched by a field both
// carry ("ptr", "pfn"). Names are the tracepoints' own, without their subsystem.
struct AllocationEvents
{
  std::string alloc; // "kmalloc"
  std::string free;  // "kfree"
  std::string key;   // "ptr"
  // Whose allocation it is: one from the module's code (its call_site points there), or, for
  // events that name no caller, one made in a thread of the module.
  bool by_thread = false;
};

// What the agent does in one boot: every load in order, with the same tracing set-up.
struct Plan
{
  std::string secret;                 // prefixes every line of the agent's results channel
  std::vector<std::string> events;    // tracefs events, "kmem:kmalloc"
  std::vector<std::string> functions; // function-tracer filter
  // Functions whose calls are kept only when the module's own code makes them: each call
  // becomes an event "module_call" with fields func and parent, as a function-tracer hit has.
  std::vector<std::string> module_calls;
  // Events with a call_site field that show the module at work ("kmem:kmalloc"): a thread of
  // the module that makes none of them, and prints nothing, for a while has settled.
  std::vector<std::string> activity_events;
  // The frees of what a module's thread allocated name no caller: the agent keeps them.
  std::vector<AllocationEvents> allocations;
  std::vector<LoadRequest> loads;
  std::size_t max_segments = 2000;
  std::size_t max_log_lines = 400;
  int trace_buffer_kb = 16384;
  // The kernel's hung-task detector: well inside call_timeout_ms, so an insmod that blocks
  // is reported before the agent gives up on it, and well after the soft lockup report of a
  // thread that spins (see run::k_kernel_command_line), whose victims it would report first.
  int hung_task_timeout_s = 14;
  // Stop after a load that left the kernel in a state later loads should not inherit, so
  // the host can go on in a fresh VM.
  bool stop_when_dirty = true;
};

// The outcome of insmod or rmmod.
struct StepResult
{
  bool attempted = false;
  bool ok = false;
  int error_code = 0; // errno as libkmod returned it, positive
  std::string error;  // strerror of it
  std::uint64_t duration_ns = 0;
  bool hung = false; // had not returned after the load's call_timeout_ms; the agent moved on
};

// A kernel thread that appeared while the module was loaded (kworkers excluded).
struct TaskInfo
{
  int pid = 0;
  std::string comm;
  std::string cpus_allowed; // "0", "0-1"; empty when the thread had exited when looked at
  bool exited = false;
};

// An entry of /sys/kernel/slab that appeared while the module was loaded.
struct SlabCache
{
  std::string name;
  long object_size = 0;
  long objects = 0;
};

// Where the agent's time went in one load, besides insmod, settling and rmmod (whose times
// the load records already): for the benchmark, never for a verdict.
struct LoadTiming
{
  std::uint64_t prepare_ns = 0;     // the slab caches and tasks before the load, the module opened
  std::uint64_t steps_ns = 0;       // user space's steps
  std::uint64_t snapshot_ns = 0;    // the slab caches once the module settled
  std::uint64_t trace_read_ns = 0;  // reading the trace, while loaded and after rmmod
  std::uint64_t after_rmmod_ns = 0; // the wait for the exit path, and the slab caches then
  std::uint64_t reduce_ns = 0;      // telling the module's events apart and reducing them
};

// A function the plan watches that this kernel cannot trace, and why.
struct UntraceableFunction
{
  std::string function;
  std::string why; // "a notrace function: not in available_filter_functions"
};

// Everything the kernel showed for one load: the raw facts checks are computed from.
struct ModuleRun
{
  LoadRequest request;
  StepResult insmod;
  StepResult rmmod;
  int loader_pid = 0;   // the task that ran insmod ("kmg-insmod", a thread of the agent)
  int unloader_pid = 0; // the task that ran rmmod ("kmg-rmmod")
  bool settled = false; // the module's threads went idle or exited before the timeout
  std::uint64_t settle_ns = 0;
  std::uint64_t core_base = 0; // address range of the module's code, for call sites
  std::uint64_t core_size = 0;
  std::vector<TaskInfo> threads;
  std::vector<LogRecord> log;          // kernel log records from insmod to after rmmod
  std::size_t log_dropped = 0;         // records cut from the middle of `log`, or lost to a log flood
  EventStream events;                  // events of the module's threads, its call sites, console and function hits
  std::vector<SlabCache> slab_created; // present after load, absent before
  std::vector<SlabCache> slab_left;    // of those, still present after unload
  std::vector<UserStepResult> steps;   // one per step of the request that ran, in order
  // Of the request's `removes`, those still there after rmmod returned.
  std::vector<std::string> left_behind;
  // The plan's functions and module calls this kernel could not trace: what the trace does
  // not show of them cannot be told from what the module did not do.
  std::vector<UntraceableFunction> untraceable;
  LoadTiming timing;
};

// The agent's answer for a whole boot.
struct GuestReport
{
  std::string kernel; // uname -r in the guest
  int cpus = 0;
  long page_size = 0;
  std::string clocksource;
  std::vector<ModuleRun> runs;
  std::vector<std::string> notes; // what the agent could not set up ("cannot enable event kmem:kmalloc")
  // The agent set up tracing and went on to the loads: a kernel that failed before then
  // failed with no module loaded, and the boot is tried again.
  bool ready = false;
};

// Why a load leaves the kernel unfit for the next ones (an Oops or WARNING, a slab cache,
// module or path left behind), or "" when it is clean.
std::string dirty_reason(const ModuleRun& run);

// The agent's threads that run insmod and rmmod: kernel reports name them so.
inline constexpr const char* k_insmod_thread = "kmg-insmod";
inline constexpr const char* k_rmmod_thread = "kmg-rmmod";

// A task a kernel report about a load may name: one of the module's kernel threads, or one
// of the agent's threads that loaded and unloaded it.
struct LoadTask
{
  std::string comm;
  int pid = 0;
  bool module_thread = false;
};
std::vector<LoadTask> load_tasks(const ModuleRun& run);

// How kernel reports name a task: "[comm:pid]" (soft lockup) and "task comm:pid " (hung task).
std::vector<std::string> task_marks(const LoadTask& task);

// A report of kernel trouble in a load's log: its lines, and whether they name the module,
// its threads or the agent's task that loaded or unloaded it (under emulation on a loaded
// host the kernel may report stalls that are nobody's fault).
struct TroubleReport
{
  KernelTrouble kind;
  std::vector<std::string> lines;
  bool from_module = false;
  bool ended = false; // its "---[ end trace ]---" was seen
};
std::vector<TroubleReport> trouble_reports(const ModuleRun& run);

// The first line of the kernel's report that the module stalled a CPU or a task during this
// load (a soft lockup, hung task or RCU stall that is the module's, see trouble_reports), or
// "" when there is none. Such a module stalls again on every load.
std::string module_stall(const ModuleRun& run);

nlohmann::json to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ModuleRun& run);
ModuleRun module_run_from_json(const nlohmann::json& j);

} // namespace kmgrade::observe
