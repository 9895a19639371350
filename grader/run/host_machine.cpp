#include "run/host_machine.h"

#include "run/agent_channel.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/text.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <sstream>

namespace kmgrade::run {

namespace fs = std::filesystem;

namespace {

// A small kernel file's text, or "" when it cannot be read.
std::string kernel_text(const fs::path& path)
{
  return std::string(util::trim(util::read_file(path)));
}

// CPUs in a sysfs list such as "0-3" or "0,2-3".
int cpus_in_list(const std::string& list)
{
  int count = 0;
  std::istringstream in(list);
  for (std::string range; std::getline(in, range, ',');) {
    const auto dash = range.find('-');
    try {
      count += dash == std::string::npos ? 1 : std::stoi(range.substr(dash + 1)) - std::stoi(range.substr(0, dash)) + 1;
    } catch (const std::exception&) {
    }
  }
  return count;
}

// The selected word of a sysfs choice such as "none [integrity] confidentiality".
std::string selected(const std::string& choices)
{
  const auto open = choices.find('[');
  const auto close = choices.find(']', open);
  return open == std::string::npos || close == std::string::npos ? "" : choices.substr(open + 1, close - open - 1);
}

bool raspberry_pi(const fs::path& root)
{
  return kernel_text(root / "proc/device-tree/model").find("Raspberry Pi") != std::string::npos ||
         fs::exists(root / "etc/rpi-issue");
}

bool secure_boot_on(const fs::path& root)
{
  // An EFI variable's file: four bytes of attributes, then its value.
  const std::string var =
    util::read_file(root / "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a9cb1d1b37");
  return var.size() >= 5 && var[4] == 1;
}

} // namespace

HostFacts this_host()
{
  HostFacts host;
  utsname uts{};
  ::uname(&uts);
  host.kernel_release = uts.release;
  host.root_user = ::geteuid() == 0;
  return host;
}

std::vector<MissingPiece> missing_for_host(const HostFacts& host, const std::vector<std::string>& events,
                                           const std::vector<std::string>& functions, unsigned cpus_needed)
{
  std::vector<MissingPiece> missing;
  const fs::path& root = host.root;
  if (!host.root_user) {
    missing.push_back(
      {"not root: loading modules and reading tracefs need root", "run it as root: sudo kmgrade check --host"});
  }
  if (!fs::exists(root / "lib/modules" / host.kernel_release / "build/Makefile")) {
    missing.push_back(
      {"no headers for the running kernel " + host.kernel_release + " in /lib/modules/" + host.kernel_release +
         "/build",
       raspberry_pi(root)
         ? "sudo apt install raspberrypi-kernel-headers (on Raspberry Pi OS 12 and later: sudo apt install linux-headers-rpi-v8, or linux-headers-rpi-2712 on a Pi 5), then reboot if the kernel was upgraded with them"
         : "sudo apt install linux-headers-" + host.kernel_release +
             " (if there is no such package, the kernel is older than the archive: sudo apt full-upgrade, reboot, and try again)"});
  }
  const fs::path tracing = root / "sys/kernel/tracing";
  // /sys/kernel/tracing is root's alone: without root its absence proves nothing.
  if (host.root_user) {
    if (!fs::exists(tracing / "events")) {
      missing.push_back(
        {"tracefs is not mounted at /sys/kernel/tracing",
         fs::is_directory(tracing) || fs::exists(root / "sys/kernel/debug/tracing/events")
           ? "sudo mount -t tracefs nodev /sys/kernel/tracing"
           : "this kernel was built without tracing (CONFIG_FTRACE): boot your distribution's own kernel"});
    } else {
      std::string absent;
      for (const auto& ev : events) {
        const auto colon = ev.find(':');
        if (!fs::is_directory(tracing / "events" / ev.substr(0, colon) / ev.substr(colon + 1))) {
          absent += (absent.empty() ? "" : ", ") + ev;
        }
      }
      if (!absent.empty()) {
        missing.push_back({"the kernel lacks tracepoints the checks watch: " + absent,
                           "boot a kernel built with them (CONFIG_TRACEPOINTS), such as your distribution's own"});
      }
      bool function_tracer = false;
      std::istringstream tracers(kernel_text(tracing / "available_tracers"));
      for (std::string tracer; tracers >> tracer;) {
        function_tracer = function_tracer || tracer == "function";
      }
      if (!functions.empty() && (!function_tracer || !fs::exists(tracing / "set_ftrace_filter"))) {
        missing.push_back({"the kernel has no function tracer, which the pinning check watches",
                           "boot a kernel built with CONFIG_FUNCTION_TRACER, such as your distribution's own"});
      }
    }
  }
  if (kernel_text(root / "proc/sys/kernel/modules_disabled") == "1") {
    missing.push_back({"module loading is switched off until the next boot (kernel.modules_disabled = 1)",
                       "reboot, and take kernel.modules_disabled out of /etc/sysctl.d"});
  }
  const std::string lockdown = selected(kernel_text(root / "sys/kernel/security/lockdown"));
  const std::string secure_boot_fix =
    secure_boot_on(root)
      ? "Secure Boot is on: turn it off in the firmware settings (or sudo mokutil --disable-validation), then reboot"
      : "boot without lockdown= on the kernel command line";
  if (!lockdown.empty() && lockdown != "none") {
    missing.push_back({"the kernel is locked down (" + lockdown + "): it loads only signed modules" +
                         (lockdown == "confidentiality" ? " and hides tracing" : ""),
                       secure_boot_fix});
  } else if (kernel_text(root / "sys/module/module/parameters/sig_enforce") == "Y") {
    missing.push_back({"the kernel loads only signed modules (module.sig_enforce)",
                       secure_boot_on(root) ? secure_boot_fix : "boot without module.sig_enforce=1"});
  }
  const std::string online = kernel_text(root / "sys/devices/system/cpu/online");
  if (!online.empty() && cpus_in_list(online) < static_cast<int>(cpus_needed)) {
    missing.push_back(
      {"only one CPU is online, and the pinning check needs two", "give the machine (or the VM) at least two CPUs"});
  }
  return missing;
}

std::string describe_missing(const std::vector<MissingPiece>& missing)
{
  std::string text = "this machine cannot run the checks on its own kernel yet:";
  for (const auto& piece : missing) {
    text += "\n  - " + piece.what + "\n    fix: " + piece.fix;
  }
  return text;
}

SandboxKernel running_kernel(const HostFacts& host)
{
  return {host.kernel_release, "", host.root / "lib/modules" / host.kernel_release / "build"};
}

PlanOutcome run_on_host(const HostRunOptions& options, observe::Plan plan, const std::vector<GuestFile>& files)
{
  fs::create_directories(options.work_dir);
  plan.secret = random_secret();
  // This kernel cannot be booted again: the agent stops at the first dirty load.
  plan.stop_when_dirty = true;
  for (auto& load : plan.loads) {
    for (const auto& f : files) {
      if (f.guest_path == load.module_path && !f.source.empty()) {
        load.module_path = f.source.string();
      }
    }
  }
  const fs::path plan_file = options.work_dir / "plan.json";
  const fs::path channel = options.work_dir / "channel.log";
  util::write_file_atomically(plan_file, observe::to_json(plan).dump(), util::FileAccess::owner_only);
  fs::remove(channel);

  util::ProcessOptions run;
  run.timeout = options.timeout.count() > 0
                  ? std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout)
                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::seconds(k_load_seconds * static_cast<long>(plan.loads.size())) + load_limit(plan));
  const auto result = util::run_process({options.agent.string(), plan_file.string(), channel.string()}, run);
  fs::remove(plan_file);

  bool completed = false;
  observe::GuestReport report;
  if (fs::exists(channel)) {
    report = parse_channel(util::read_file(channel), plan.secret, completed);
  }
  if (report.kernel.empty()) {
    throw Error("kmgrade-agent (" + options.agent.string() + ") did not start on this machine" +
                (result.timed_out ? " (stopped after " + std::to_string(run.timeout.count() / 1000) + " s)" : "") +
                (result.output.empty() ? "" : ": " + std::string(util::trim(result.output))));
  }
  PlanOutcome out;
  out.accel = "host";
  out.boots = 1;
  std::deque<observe::LoadRequest> pending(plan.loads.begin(), plan.loads.end());
  const auto claimed = claim_results(pending, std::move(report.runs));
  report.runs.clear();
  for (const auto& [load, r] : claimed) {
    report.runs.push_back(r);
  }
  out.report = std::move(report);
  std::string why = "not run: kmgrade-agent stopped before this load" +
                    (result.output.empty() ? "" : ": " + std::string(util::trim(result.output)));
  if (!out.report.runs.empty()) {
    const auto& last = out.report.runs.back();
    if (last.insmod.hung || last.rmmod.hung) {
      why = "not run: the load " + last.request.id + " never returned from " + (last.insmod.hung ? "insmod" : "rmmod") +
            "; reboot this machine before checking again";
    } else if (const auto dirty = observe::dirty_reason(last); !dirty.empty()) {
      why = "not run: the load " + last.request.id + " left the kernel dirty (" + dirty +
            "); reboot this machine before checking again";
    }
  }
  if (result.timed_out) {
    why = "not run: the checks ran out of time (" + std::to_string(run.timeout.count() / 1000) +
          " s); reboot this machine before checking again";
  }
  for (const auto& load : pending) {
    out.failures[load.id] = why;
  }
  return out;
}

} // namespace kmgrade::run
