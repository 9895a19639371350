// kmgrade's guest agent: runs as /init of the sandbox VM (or as root on a student's own
// machine), loads each module of a plan with libkmod, records what the kernel did, and
// writes the observations to a channel of its own.

#include "channel.h"
#include "kernel_paths.h"
#include "kmsg.h"
#include "load_runner.h"
#include "watchdog.h"

#include "observe/delivery.h"
#include "observe/observation.h"
#include "util/files.h"
#include "util/text.h"

#include <libkmod.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

using namespace kmgrade::agent;
using namespace kmgrade::observe;
using kmgrade::util::read_file;

namespace {

void mount_filesystems()
{
  ::mount("proc", "/proc", "proc", 0, nullptr);
  ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
  ::mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
  ::mount("tracefs", KernelPaths{}.tracing().c_str(), "tracefs", 0, nullptr);
}

} // namespace

int main(int argc, char** argv)
{
  // As /init in the sandbox: mount, take the plan and its modules from the host on
  // /dev/ttyS1, answer there, power off. On a student's own machine: kmgrade-agent PLAN OUTPUT.
  const bool as_init = ::getpid() == 1;
  if (as_init) {
    mount_filesystems();
  }
  int out = as_init ? open_serial_channel("/dev/ttyS1")
                    : ::open(argc > 2 ? argv[2] : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int status = 0;
  try {
    std::string plan_json;
    if (as_init) {
      // The plan, and its secret, live on in this process only: a module cannot read them
      // back from a file.
      Delivery delivery = receive_delivery(out);
      unpack_delivery(delivery);
      plan_json = std::move(delivery.plan_json);
    } else if (argc > 2) {
      plan_json = read_file(argv[1]);
    } else {
      throw std::runtime_error("usage: kmgrade-agent PLAN OUTPUT");
    }
    Plan plan = plan_from_json(nlohmann::json::parse(plan_json));
    if (as_init) {
      write_kernel_file("/proc/sys/kernel/hung_task_timeout_secs", std::to_string(plan.hung_task_timeout_s));
      // Each hang ends its boot: a couple of reports is all one can show.
      write_kernel_file("/proc/sys/kernel/hung_task_warnings", "2");
      write_kernel_file("/proc/sys/kernel/hung_task_check_interval_secs", "2");
    }
    KmsgFollower kmsg;
    kmsg.start();
    utsname uts{};
    ::uname(&uts);
    Channel channel(out, plan.secret);
    channel.send("hello", {{"kernel", uts.release},
                           {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                           {"page_size", ::sysconf(_SC_PAGESIZE)},
                           {"clocksource", std::string(kmgrade::util::trim(read_file(
                                             "/sys/devices/system/clocksource/clocksource0/current_clocksource")))},
                           {"uptime", std::string(kmgrade::util::trim(read_file("/proc/uptime")))}});
    channel.start_heartbeat(std::chrono::seconds(2));
    kmod_ctx* ctx = kmod_new(nullptr, nullptr);
    LoadRunner runner(ctx, plan, kmsg);
    for (const auto& problem : runner.setup_tracing()) {
      channel.send("note", {{"text", problem}});
    }
    channel.send("ready", nlohmann::json::object());
    std::uint64_t send_ns = 0;
    for (std::size_t i = 0; i < plan.loads.size(); ++i) {
      ModuleRun run = runner.run(plan.loads[i]);
      const std::uint64_t before_send = now_ns();
      channel.send("run", to_json(run));
      send_ns += now_ns() - before_send;
      if (runner.wedged() || (plan.stop_when_dirty && i + 1 < plan.loads.size() && !dirty_reason(run).empty())) {
        break;
      }
    }
    if (!runner.wedged()) {
      kmod_unref(ctx);
    }
    if (!as_init) {
      runner.restore_tracing();
    }
    channel.stop_heartbeat();
    channel.send("done", {{"send_ns", send_ns}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmgrade-agent: %s\n", e.what());
    status = 1;
  }
  ::fsync(out);
  ::close(out);
  if (as_init) {
    ::sync();
    ::reboot(RB_POWER_OFF);
  }
  return status;
}
