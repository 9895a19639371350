#include "run/sandbox_vm.h"

#include "run/agent_channel.h"
#include "run/channel_watch.h"
#include "run/kernel_image.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace kmgrade::run {

namespace fs = std::filesystem;

namespace {

// The end of a file: a dying kernel's last words are at the end of its console.
std::string read_tail(const fs::path& path, std::size_t max_bytes)
{
  std::string text = util::read_file(path);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

std::string qemu_version()
{
  auto r = util::run_process({"qemu-system-x86_64", "--version"});
  return r.output.substr(0, r.output.find('\n'));
}

VmOutcome boot(const VmOptions& options, Accel accel, observe::Plan plan, const std::vector<GuestFile>& files)
{
  fs::create_directories(options.work_dir);
  plan.secret = random_secret();
  std::vector<GuestFile> root = files;
  root.push_back({"/plan.json", "", observe::to_json(plan).dump(), 0644});
  const fs::path image = options.work_dir / "initramfs.cpio.gz";
  const fs::path console = options.work_dir / "console.log";
  const fs::path channel = options.work_dir / "channel.log";
  write_initramfs(image, agent_image(options.agent, options.cache_dir.empty() ? options.work_dir : options.cache_dir),
                  root);
  // Kept beside the channel so a run can be replayed (its secret) and inspected.
  util::write_file_atomically(options.work_dir / "plan.json", observe::to_json(plan).dump(1) + '\n');
  fs::remove(console);
  fs::remove(channel);

  std::vector<std::string> argv = {
    "qemu-system-x86_64",
    "-M",
    "pc",
    "-accel",
    accel == Accel::kvm ? "kvm" : "tcg",
    "-smp",
    std::to_string(options.cpus),
    "-m",
    std::to_string(options.memory_mb),
    "-display",
    "none",
    "-nodefaults",
    "-no-reboot",
    "-kernel",
    boot_image(options.kernel.image, options.cache_dir.empty() ? options.work_dir : options.cache_dir).string(),
    "-initrd",
    image.string(),
    // rcu_expedited: every load waits for RCU grace periods (rmmod, the tracer's start), which
    // take tens of milliseconds under emulation otherwise.
    "-append",
    options.slub_debug ? std::string(k_kernel_command_line) + " " + k_slub_debug : k_kernel_command_line,
    "-serial",
    "file:" + console.string(),
    "-serial",
    "file:" + channel.string(),
  };
  if (accel == Accel::kvm) {
    argv.insert(argv.begin() + 5, {"-cpu", "host,-arch-capabilities"});
  }
  if (options.progress) {
    options.progress("starting the sandbox VM");
  }
  const auto limit = boot_timeout(options, plan);
  ChannelWatch watch(channel, plan.secret, load_limit(plan), limit, options.progress, options.results_so_far);
  util::ProcessOptions popts;
  // The watch holds the guest to its limits in the time it had to run; a host so busy that
  // the guest gets less than a fifth of the wall time is stopped all the same.
  popts.timeout = k_wall_time_factor * limit;
  popts.started = [&watch](int pid) { watch.watch(pid); };
  popts.keep_going = [&watch, &options] { return watch.keep_going() && (!options.keep_going || options.keep_going()); };
  auto result = util::run_process(argv, popts);
  watch.finish();
  VmOutcome out;
  out.accel = accel == Accel::kvm ? "kvm" : "tcg";
  out.timed_out = result.timed_out;
  out.stall = watch.stall();
  out.console = read_tail(console, 64 * 1024);
  if (!result.timed_out && result.exit_code != 0 && !fs::exists(channel)) {
    throw Error("the sandbox VM did not start: qemu-system-x86_64 said: " + result.output);
  }
  out.report = parse_channel(util::read_file(channel), plan.secret, out.completed);
  return out;
}

} // namespace

std::chrono::seconds load_limit(const observe::Plan& plan)
{
  int worst_ms = 0;
  for (const auto& load : plan.loads) {
    // A step at its limit is killed, and waited for a second more.
    int steps_ms = 0;
    for (const auto& step : load.steps) {
      steps_ms += step.timeout_ms + 1000;
    }
    worst_ms = std::max(worst_ms, load.settle_timeout_ms + 2 * load.call_timeout_ms + steps_ms);
  }
  return std::chrono::seconds(worst_ms / 1000 + 30);
}

std::chrono::seconds boot_timeout(const VmOptions& options, const observe::Plan& plan)
{
  if (options.timeout.count() > 0) {
    return options.timeout;
  }
  return std::chrono::seconds(k_agent_start_seconds + k_load_seconds * static_cast<long>(plan.loads.size())) +
         load_limit(plan);
}

Accel parse_accel(const std::string& text)
{
  if (text == "auto")
    return Accel::automatic;
  if (text == "kvm")
    return Accel::kvm;
  if (text == "tcg")
    return Accel::tcg;
  throw Error("unknown accelerator '" + text + "': use auto, kvm or tcg");
}

const char* to_string(Accel accel)
{
  switch (accel) {
    case Accel::automatic:
      return "auto";
    case Accel::kvm:
      return "kvm";
    case Accel::tcg:
      return "tcg";
  }
  return "auto";
}

Accel resolve_accel(const VmOptions& options)
{
  if (options.accel != Accel::automatic) {
    return options.accel;
  }
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    return Accel::tcg;
  }
  std::string key = qemu_version() + " " + options.kernel.version;
  const fs::path verdict_file = options.cache_dir / "kvm-probe.txt";
  {
    std::ifstream in(verdict_file);
    std::string cached_key;
    std::string verdict;
    if (std::getline(in, cached_key) && std::getline(in, verdict) && cached_key == key) {
      return verdict == "kvm" ? Accel::kvm : Accel::tcg;
    }
  }
  // Only a real boot to the agent proves KVM: on some nested hosts the guest hangs at once.
  VmOptions probe = options;
  probe.timeout = std::chrono::seconds(20);
  probe.work_dir = options.work_dir / "kvm-probe";
  probe.progress = nullptr;
  Accel verdict = Accel::tcg;
  try {
    auto outcome = boot(probe, Accel::kvm, observe::Plan{}, {});
    if (outcome.completed) {
      verdict = Accel::kvm;
    }
  } catch (const Error&) {
    verdict = Accel::tcg;
  }
  util::write_file_atomically(verdict_file, key + '\n' + to_string(verdict) + '\n');
  return verdict;
}

VmOutcome run_in_vm(const VmOptions& options, observe::Plan plan, const std::vector<GuestFile>& files)
{
  const auto limit = boot_timeout(options, plan);
  auto outcome = boot(options, resolve_accel(options), std::move(plan), files);
  if (!outcome.report.ready && !outcome.completed) {
    std::string why = !outcome.stall.empty() ? outcome.stall
                      : outcome.timed_out    ? "it did not finish within " +
                                              std::to_string(k_wall_time_factor * limit.count()) + " s of wall time"
                                          : "the guest agent never answered";
    if (!outcome.report.kernel.empty()) {
      why = "its kernel failed while the agent set up tracing, before any module was loaded (" + why + ")";
    }
    throw Error("the sandbox VM failed: " + why + "; the end of its console is in " +
                (options.work_dir / "console.log").string());
  }
  return outcome;
}

} // namespace kmgrade::run
