// The /init of a sandbox VM that stands in for a student's own machine in e2e.host-mode: it
// takes its plan and files from the host as the agent does, mounts what a distribution mounts (tracefs only when /stand-in.json says so), then does
// what `kmgrade check --host` does after building: it asks what the machine lacks and, when
// nothing, runs the plan with kmgrade-agent as an ordinary child process. It answers on the
// channel as the agent would, the machine's shortfalls and the state tracefs is left in as
// notes, and powers off.

#include "agent/channel.h"
#include "run/host_machine.h"
#include "util/files.h"
#include "util/text.h"

#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using kmgrade::util::read_file;

namespace {

// The tracing state a student would find after the run.
std::string tracefs_after()
{
  const fs::path tracing = "/sys/kernel/tracing";
  const std::string state =
    "tracefs after: current_tracer " + std::string(kmgrade::util::trim(read_file(tracing / "current_tracer")));
  std::string instances;
  for (const auto& entry : fs::directory_iterator(tracing / "instances")) {
    instances += " " + entry.path().filename().string();
  }
  return state + ", instances:" + (instances.empty() ? " none" : instances);
}

void run(int out)
{
  auto delivery = kmgrade::agent::receive_delivery(out);
  kmgrade::agent::unpack_delivery(delivery);
  const auto config = nlohmann::json::parse(read_file("/stand-in.json"));
  if (config.at("tracefs").get<bool>()) {
    ::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr);
  }
  const auto plan = kmgrade::observe::plan_from_json(nlohmann::json::parse(delivery.plan_json));
  kmgrade::agent::Channel channel(out, plan.secret);
  const auto host = kmgrade::run::this_host();
  const auto missing = kmgrade::run::missing_for_host(host, plan.events, plan.functions, 2);
  for (const auto& piece : missing) {
    channel.send("note", {{"text", piece.what + " | " + piece.fix}});
  }
  kmgrade::observe::GuestReport report;
  report.kernel = host.kernel_release;
  if (missing.empty()) {
    try {
      fs::create_directories("/tmp");
      auto outcome = kmgrade::run::run_on_host({"/usr/bin/kmgrade-agent", "/tmp/host-run", {}}, plan, {});
      report = std::move(outcome.report);
      for (const auto& [id, why] : outcome.failures) {
        channel.send("note", {{"text", "load " + id + ": " + why}});
      }
      channel.send("note", {{"text", tracefs_after()}});
    } catch (const std::exception& e) {
      channel.send("note", {{"text", std::string("error: ") + e.what()}});
    }
  }
  channel.send("hello", {{"kernel", report.kernel},
                         {"cpus", report.cpus},
                         {"page_size", report.page_size},
                         {"clocksource", report.clocksource}});
  for (const auto& r : report.runs) {
    channel.send("run", kmgrade::observe::to_json(r));
  }
  channel.send("done", nlohmann::json::object());
}

} // namespace

int main()
{
  ::mount("proc", "/proc", "proc", 0, nullptr);
  ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
  ::mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
  const int out = kmgrade::agent::open_serial_channel("/dev/ttyS1");
  try {
    run(out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "host stand-in: %s\n", e.what());
  }
  ::fsync(out);
  ::sync();
  ::reboot(RB_POWER_OFF);
  return 0;
}
