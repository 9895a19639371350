#include "run/sandbox_vm.h"

#include "run/agent_channel.h"
#include "run/channel_watch.h"
#include "run/kernel_image.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

// QEMU reads a chardev's options split at commas; a comma in a path is written twice.
std::string chardev_path(const fs::path& path)
{
  std::string out;
  for (char c : path.string()) {
    out += c == ',' ? std::string(",,") : std::string(1, c);
  }
  return out;
}

// The host's end of the channel's input: QEMU's pipe chardev reads `<base>.in` and writes
// `<base>.out`. The output is a link to the channel's log, a plain file the watch reads; the
// input is a FIFO, held open here for reading and writing so neither side's open waits.
class ChannelInput
{
public:
  explicit ChannelInput(const fs::path& base, const fs::path& log)
  {
    fs::path in = base;
    in += ".in";
    fs::path out = base;
    out += ".out";
    fs::remove(in);
    fs::remove(out);
    util::write_file_atomically(log, "");
    fs::create_symlink(log.filename(), out);
    if (::mkfifo(in.c_str(), 0600) != 0 || (m_fd = ::open(in.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
      throw Error("cannot make the sandbox's channel " + in.string() + ": " + std::strerror(errno));
    }
  }
  ~ChannelInput() { ::close(m_fd); }
  ChannelInput(const ChannelInput&) = delete;
  ChannelInput& operator=(const ChannelInput&) = delete;

  // Writes what the FIFO takes now of `bytes` from `sent` on, and moves `sent` past it.
  void write_some(const std::string& bytes, std::size_t& sent)
  {
    while (sent < bytes.size()) {
      const ssize_t n = ::write(m_fd, bytes.data() + sent, bytes.size() - sent);
      if (n <= 0) {
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

private:
  int m_fd = -1;
};

// Boots the sandbox at once and hands the agent `plan` (with its files) when both are ready:
// the plan once it comes, the agent once it asks. A plan that never comes (its promise
// broken) stops the VM.
VmOutcome boot(const VmOptions& options, Accel accel, std::shared_future<BootPlan> plan)
{
  fs::create_directories(options.work_dir);
  const std::string secret = random_secret();
  const fs::path console = options.work_dir / "console.log";
  const fs::path channel = options.work_dir / "channel.log";
  const fs::path cache = options.cache_dir.empty() ? options.work_dir : options.cache_dir;
  fs::remove(console);
  ChannelInput input(options.work_dir / "agent", channel);

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
    boot_image(options.kernel.image, cache).string(),
    "-initrd",
    agent_image(options.agent, cache).string(),
    // rcu_expedited: every load waits for RCU grace periods (rmmod, the tracer's start), which
    // take tens of milliseconds under emulation otherwise.
    "-append",
    options.slub_debug ? std::string(k_kernel_command_line) + " " + k_slub_debug : k_kernel_command_line,
    "-chardev",
    "pipe,id=agent,path=" + chardev_path(options.work_dir / "agent"),
    "-serial",
    "file:" + console.string(),
    "-serial",
    "chardev:agent",
  };
  if (accel == Accel::kvm) {
    argv.insert(argv.begin() + 5, {"-cpu", "host,-arch-capabilities"});
  }
  if (options.progress) {
    options.progress("starting the sandbox VM");
  }
  // A boot given a limit of its own (the KVM probe's) is held to it from the start.
  const std::chrono::seconds start_limit = options.timeout.count() > 0
                                             ? std::min(options.timeout, std::chrono::seconds(k_agent_start_seconds))
                                             : std::chrono::seconds(k_agent_start_seconds);
  ChannelWatch watch(channel, secret, start_limit, options.progress, options.results_so_far);
  std::string bytes;
  std::size_t sent = 0;
  bool abandoned = false;
  std::exception_ptr failure;
  // Once the plan is ready and the agent has asked for it, it goes out as fast as the guest
  // reads it.
  auto deliver = [&] {
    if (bytes.empty() && plan.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      const BootPlan* given = nullptr;
      try {
        given = &plan.get();
      } catch (const std::exception&) {
        abandoned = true;
        return;
      }
      observe::Plan p = given->plan;
      p.secret = secret;
      try {
        // Kept beside the channel so a run can be replayed (its secret, hence the owner's alone) and inspected.
        util::write_file_atomically(options.work_dir / "plan.json", observe::to_json(p).dump(1) + '\n',
                                    util::FileAccess::owner_only);
        bytes = delivery_bytes(observe::to_json(p).dump(), given->files, options.work_dir / "modules");
      } catch (const Error&) {
        failure = std::current_exception();
        return;
      }
      watch.limits_from(load_limit(p), boot_timeout(options, p));
    }
    if (!bytes.empty() && watch.asked() && sent < bytes.size()) {
      if (sent == 0) {
        watch.delivered();
      }
      input.write_some(bytes, sent);
    }
  };
  util::ProcessOptions popts;
  popts.poll_interval = std::chrono::milliseconds(20);
  popts.started = [&watch](int pid) { watch.watch(pid); };
  popts.keep_going = [&] {
    const bool on = watch.keep_going();
    deliver();
    return on && !abandoned && !failure && (!options.keep_going || options.keep_going());
  };
  auto result = util::run_process(argv, popts);
  if (failure) {
    std::rethrow_exception(failure);
  }
  watch.finish();
  VmOutcome out;
  out.accel = accel == Accel::kvm ? "kvm" : "tcg";
  out.timed_out = watch.timed_out();
  out.stall = watch.stall();
  out.console = read_tail(console, 64 * 1024);
  if (!result.stopped && result.exit_code != 0 && !watch.asked()) {
    throw Error("the sandbox VM did not start: qemu-system-x86_64 said: " + result.output);
  }
  out.report = parse_channel(util::read_file(channel), secret, out.completed);
  return out;
}

// A boot's outcome, or Error when its agent never answered (see run_in_vm).
VmOutcome answered(const VmOptions& options, const observe::Plan& plan, VmOutcome outcome)
{
  if (!outcome.report.ready && !outcome.completed) {
    const auto limit = boot_timeout(options, plan);
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

std::shared_future<BootPlan> ready(observe::Plan plan, std::vector<GuestFile> files)
{
  std::promise<BootPlan> promise;
  promise.set_value({std::move(plan), std::move(files)});
  return promise.get_future().share();
}

} // namespace

std::string qemu_version()
{
  auto r = util::run_process({"qemu-system-x86_64", "--version"});
  return r.output.substr(0, r.output.find('\n'));
}

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
    auto outcome = boot(probe, Accel::kvm, ready({}, {}));
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
  const observe::Plan asked = plan;
  return answered(options, asked, boot(options, resolve_accel(options), ready(std::move(plan), files)));
}

EarlyBoot::EarlyBoot(const VmOptions& options) : m_options(options)
{
  m_outcome = std::async(std::launch::async,
                         [this, plan = m_plan.get_future().share()] { return boot(m_options, m_options.accel, plan); });
}

EarlyBoot::~EarlyBoot()
{
  if (!m_given) {
    m_plan.set_exception(std::make_exception_ptr(std::runtime_error("no plan for this boot")));
  }
  if (m_outcome.valid()) {
    m_outcome.wait();
  }
}

VmOutcome EarlyBoot::run(observe::Plan plan, std::vector<GuestFile> files)
{
  const observe::Plan asked = plan;
  m_given = true;
  m_plan.set_value({std::move(plan), std::move(files)});
  return answered(m_options, asked, m_outcome.get());
}

} // namespace kmgrade::run
