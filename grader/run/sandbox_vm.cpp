#include "run/sandbox_vm.h"

#include "run/channel_watch.h"
#include "run/kernel_image.h"
#include "util/files.h"
#include "util/error.h"
#include "util/process.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <sys/utsname.h>

#include <fstream>
#include <random>
#include <sstream>

namespace kmgrade::run {

namespace fs = std::filesystem;

namespace {

// The end of a file: a dying kernel's last words are at the end of its console.
std::string read_tail(const fs::path& path, std::size_t max_bytes)
{
  std::string text = util::read_file(path);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

// Natural order of version strings: "6.1.0-10" < "6.1.0-9" is wrong, digits compare as numbers.
bool version_less(const std::string& a, const std::string& b)
{
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      // Compared as digit strings, without leading zeros: any length, nothing to overflow.
      auto na = std::string_view(a).substr(i, ie - i);
      auto nb = std::string_view(b).substr(j, je - j);
      na.remove_prefix(std::min(na.find_first_not_of('0'), na.size()));
      nb.remove_prefix(std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) {
        return na.size() < nb.size();
      }
      if (na != nb) {
        return na < nb;
      }
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) {
        return a[i] < b[j];
      }
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// The whole boot's limit, behind the per-load one: every load at its usual pace and one at
// its worst.
std::chrono::seconds boot_timeout(const VmOptions& options, const observe::Plan& plan)
{
  if (options.timeout.count() > 0) {
    return options.timeout;
  }
  return std::chrono::seconds(k_agent_start_seconds + k_load_seconds * static_cast<long>(plan.loads.size())) +
         load_limit(plan);
}

std::string qemu_version()
{
  auto r = util::run_process({"qemu-system-x86_64", "--version"});
  return r.output.substr(0, r.output.find('\n'));
}

} // namespace

std::string random_secret()
{
  unsigned char bytes[16];
  int fd = ::open("/dev/urandom", O_RDONLY);
  if (fd < 0 || ::read(fd, bytes, sizeof bytes) != static_cast<ssize_t>(sizeof bytes)) {
    throw Error("cannot read /dev/urandom for the sandbox's channel secret");
  }
  ::close(fd);
  std::string out;
  for (unsigned char b : bytes) {
    const char* hex = "0123456789abcdef";
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// The most one load may take before the agent itself gives up on it (settling, then insmod
// and rmmod each hanging until their watchdog), with room for reading its trace.
std::chrono::seconds load_limit(const observe::Plan& plan)
{
  int worst_ms = 0;
  for (const auto& load : plan.loads) {
    worst_ms = std::max(worst_ms, load.settle_timeout_ms + 2 * load.call_timeout_ms);
  }
  return std::chrono::seconds(worst_ms / 1000 + 30);
}

SandboxKernel find_sandbox_kernel()
{
  utsname uts{};
  ::uname(&uts);
  if (std::string(uts.machine) != "x86_64") {
    throw Error(std::string("the sandbox VM boots Debian's x86-64 kernel, and this machine is ") + uts.machine +
                ": check your modules on this machine's own kernel with kmgrade check --host, or grade on an "
                "x86-64 machine");
  }
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("vmlinuz-", 0) != 0) {
      continue;
    }
    std::string version = name.substr(8);
    if (fs::exists("/lib/modules/" + version + "/build/Makefile")) {
      versions.push_back(version);
    }
  }
  if (versions.empty()) {
    throw Error("no sandbox kernel: need /boot/vmlinuz-V with headers in /lib/modules/V/build "
                "(install linux-image-amd64 and linux-headers-amd64, or run scripts/setup)");
  }
  std::sort(versions.begin(), versions.end(), version_less);
  const std::string& v = versions.back();
  return {v, "/boot/vmlinuz-" + v, "/lib/modules/" + v + "/build"};
}

Accel parse_accel(const std::string& text)
{
  if (text == "auto") return Accel::automatic;
  if (text == "kvm") return Accel::kvm;
  if (text == "tcg") return Accel::tcg;
  throw Error("unknown accelerator '" + text + "': use auto, kvm or tcg");
}

const char* to_string(Accel accel)
{
  switch (accel) {
  case Accel::automatic: return "auto";
  case Accel::kvm: return "kvm";
  case Accel::tcg: return "tcg";
  }
  return "auto";
}

observe::GuestReport parse_channel(const std::string& text, const std::string& secret, bool& completed)
{
  observe::GuestReport report;
  completed = false;
  const std::string prefix = observe::channel_prefix(secret);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto at = line.find(prefix);
    if (at == std::string::npos) {
      continue;
    }
    std::string rest = line.substr(at + prefix.size());
    auto space = rest.find(' ');
    std::string kind = rest.substr(0, space);
    try {
      // The agent writes integers only. A float, or an integer too large for 64 bits (parsed
      // as a float), would convert to an integer field with undefined behaviour: a line
      // holding one is not the agent's.
      bool integers_only = true;
      const auto body = nlohmann::json::parse(
        rest.substr(space + 1), [&](int, nlohmann::json::parse_event_t event, const nlohmann::json& value) {
          integers_only = integers_only && (event != nlohmann::json::parse_event_t::value || !value.is_number_float());
          return true;
        });
      if (!integers_only) {
        continue;
      }
      if (kind == "hello") {
        report.kernel = body.at("kernel").get<std::string>();
        report.cpus = body.at("cpus").get<int>();
        report.page_size = body.at("page_size").get<long>();
        report.clocksource = body.at("clocksource").get<std::string>();
      } else if (kind == "run") {
        report.runs.push_back(observe::module_run_from_json(body));
      } else if (kind == "note") {
        report.notes.push_back(body.at("text").get<std::string>());
      } else if (kind == "done") {
        completed = true;
      }
    } catch (const nlohmann::json::exception&) {
      // A line cut short by a dying VM, or one a module in the guest wrote with the secret:
      // either way not an answer of the agent.
    }
  }
  return report;
}

namespace {

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
  std::ofstream(options.work_dir / "plan.json") << observe::to_json(plan).dump(1) << '\n';
  fs::remove(console);
  fs::remove(channel);

  std::vector<std::string> argv = {
    "qemu-system-x86_64",
    "-M", "pc",
    "-accel", accel == Accel::kvm ? "kvm" : "tcg",
    "-smp", std::to_string(options.cpus),
    "-m", std::to_string(options.memory_mb),
    "-display", "none", "-nodefaults", "-no-reboot",
    "-kernel", boot_image(options.kernel.image, options.cache_dir.empty() ? options.work_dir : options.cache_dir).string(),
    "-initrd", image.string(),
    // rcu_expedited: every load waits for RCU grace periods (rmmod, the tracer's start), which
    // take tens of milliseconds under emulation otherwise.
    "-append", k_kernel_command_line,
    "-serial", "file:" + console.string(),
    "-serial", "file:" + channel.string(),
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
  popts.keep_going = [&watch, &options] {
    return watch.keep_going() && (!options.keep_going || options.keep_going());
  };
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
  if (outcome.report.kernel.empty() && !outcome.completed) {
    std::string why = !outcome.stall.empty() ? outcome.stall
                      : outcome.timed_out    ? "it did not finish within " +
                                                 std::to_string(k_wall_time_factor * limit.count()) + " s of wall time"
                                             : "the guest agent never answered";
    throw Error("the sandbox VM failed: " + why + "; the end of its console is in " +
                (options.work_dir / "console.log").string());
  }
  return outcome;
}

std::vector<std::pair<observe::LoadRequest, observe::ModuleRun>> claim_results(std::deque<observe::LoadRequest>& pending,
                                                                              std::vector<observe::ModuleRun> runs)
{
  std::vector<std::pair<observe::LoadRequest, observe::ModuleRun>> out;
  for (auto& run : runs) {
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const observe::LoadRequest& load) { return load.id == run.request.id; });
    if (it != pending.end()) {
      out.emplace_back(std::move(*it), std::move(run));
      pending.erase(it);
    }
  }
  return out;
}

namespace {

// What a dying kernel said about why: its first Oops/BUG/lockup line and its panic line,
// or else the last line of the console.
std::string console_summary(const std::string& console)
{
  std::istringstream in(console);
  std::string line;
  std::string last;
  std::string first_trouble;
  std::string panic;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto stamp_end = line[0] == '[' ? line.find("] ") : std::string::npos;
    std::string text = stamp_end == std::string::npos ? line : line.substr(stamp_end + 2);
    if (text.find_first_not_of(" \t") == std::string::npos) {
      continue;
    }
    last = text;
    if (first_trouble.empty() && observe::classify_log_line(text) != observe::KernelTrouble::none) {
      first_trouble = text;
    }
    if (panic.empty() && text.rfind("Kernel panic", 0) == 0) {
      panic = text;
    }
  }
  if (first_trouble.empty()) {
    return panic.empty() ? last : panic;
  }
  return panic.empty() || panic == first_trouble ? first_trouble : first_trouble + " / " + panic;
}

} // namespace

PlanOutcome run_plan(const VmOptions& options, const observe::Plan& plan, const std::vector<GuestFile>& files,
                     const std::function<void(const std::string&)>& progress)
{
  PlanOutcome out;
  // Modules not loaded again, and why: one whose load hung or took the VM down would do it
  // again on every load, at a whole boot each.
  std::map<std::string, std::string> given_up;
  auto give_up = [&](const observe::LoadRequest& load, const std::string& what) {
    const std::string with = load.params.empty() ? "with no parameter" : "with " + load.params;
    given_up.emplace(load.module_name, "not run: the load " + with + " " + what + ", so " + load.module_name +
                                         " was not loaded again");
  };
  std::deque<observe::LoadRequest> pending(plan.loads.begin(), plan.loads.end());
  int retries_left = k_boot_retries;
  const auto stop_if_asked = [&options] {
    if (options.keep_going && !options.keep_going()) {
      throw Error("stopped before the sandbox ran every load");
    }
  };
  while (!pending.empty()) {
    stop_if_asked();
    observe::Plan part = plan;
    part.loads.clear();
    for (const auto& load : pending) {
      if (auto it = given_up.find(load.module_name); it != given_up.end()) {
        out.failures[load.id] = it->second;
      } else {
        part.loads.push_back(load);
      }
    }
    pending.assign(part.loads.begin(), part.loads.end());
    if (pending.empty()) {
      break;
    }
    VmOptions boot_options = options;
    boot_options.work_dir = options.work_dir / ("boot-" + std::to_string(out.boots + 1));
    if (options.results_so_far) {
      boot_options.results_so_far = [&options, before = out.report.runs.size() + out.failures.size()](std::size_t n) {
        options.results_so_far(before + n);
      };
    }
    if (progress) {
      boot_options.progress = [&progress, n = out.boots + 1](const std::string& line) {
        progress("boot " + std::to_string(n) + ": " + line);
      };
    }
    VmOutcome o;
    try {
      o = run_in_vm(boot_options, part, files);
      retries_left = k_boot_retries;
    } catch (const Error& e) {
      if (retries_left > 0) {
        --retries_left;
        if (progress) {
          progress("boot " + std::to_string(out.boots + 1) + ": " + e.what() + "; no module ran in it, booting again");
        }
        continue;
      }
      retries_left = k_boot_retries;
      if (out.boots == 0) {
        throw;
      }
      out.failures[pending.front().id] = e.what();
      pending.pop_front();
      continue;
    }
    stop_if_asked();
    ++out.boots;
    out.accel = o.accel;
    if (out.report.kernel.empty()) {
      out.report.kernel = o.report.kernel;
      out.report.cpus = o.report.cpus;
      out.report.page_size = o.report.page_size;
      out.report.clocksource = o.report.clocksource;
    }
    for (auto& note : o.report.notes) {
      // Every boot sets up the same way: its notes are the first boot's.
      if (std::find(out.report.notes.begin(), out.report.notes.end(), note) == out.report.notes.end()) {
        out.report.notes.push_back(std::move(note));
      }
    }
    auto claimed = claim_results(pending, std::move(o.report.runs));
    for (auto& [load, r] : claimed) {
      if (r.insmod.hung || r.rmmod.hung) {
        give_up(load, std::string(r.insmod.hung ? "never returned from insmod" : "never returned from rmmod"));
      } else if (const auto stall = observe::module_stall(r); !stall.empty()) {
        give_up(load, "stalled the kernel (" + stall + ")");
      }
      out.report.runs.push_back(std::move(r));
    }
    if (pending.empty()) {
      break;
    }
    if (o.completed && claimed.empty()) {
      // Booting again for a load the agent finished without answering would never end.
      out.failures[pending.front().id] = "the sandbox agent finished its boot without a result for this load";
      pending.pop_front();
      continue;
    }
    if (o.completed) {
      const auto& last = out.report.runs.back();
      if (progress) {
        progress("load " + last.request.id + " left the kernel dirty (" + observe::dirty_reason(last) +
                 "); the next loads run in a fresh VM");
      }
      continue;
    }
    const observe::LoadRequest culprit = pending.front();
    pending.pop_front();
    std::string why = !o.stall.empty() ? "the sandbox VM was stopped during this load: " + o.stall
                      : o.timed_out      ? "the sandbox VM hung during this load and was stopped after " +
                                        std::to_string(k_wall_time_factor * boot_timeout(options, part).count()) +
                                        " s of wall time"
                                         : "the sandbox VM died during this load";
    const std::string said = console_summary(o.console);
    if (!said.empty()) {
      why += "; the kernel said: " + said;
    }
    out.failures[culprit.id] = why;
    give_up(culprit, !o.stall.empty() || o.timed_out ? "hung the sandbox VM" : "took the sandbox VM down");
    if (progress) {
      progress("load " + culprit.id + ": " + why + "; going on in a fresh VM");
    }
  }
  return out;
}

} // namespace kmgrade::run
