// `kmgrade check --host` on a machine of its own: a sandbox VM stands in for a student's
// machine, with tests/e2e/host_stand_in as its /init. The agent runs there as an ordinary
// program on that kernel, and each missing piece the machine can lack is made real.
//
//   e2e_host_mode STAND_IN AGENT SAMPLE RUBRIC

#include "build/module_build.h"
#include "pipeline/grade.h"
#include "run/initramfs.h"
#include "run/sandbox_vm.h"
#include "score/rubric.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

fs::path g_stand_in;
fs::path g_agent;
fs::path g_sample;
fs::path g_rubric;

class HostMode : public ::testing::Test
{
protected:
  void SetUp() override
  {
    std::string tmpl = (fs::temp_directory_path() / "kmgrade-host-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
    m_rubric = score::load_rubric(g_rubric);
    m_vm.kernel = run::find_sandbox_kernel();
    m_vm.agent = g_stand_in;
    m_vm.work_dir = m_dir / "vm";
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    m_vm.cache_dir = (xdg && *xdg ? fs::path(xdg) : fs::path(std::getenv("HOME")) / ".cache") / "kmgrade";
    m_vm.accel = run::resolve_accel(m_vm);
    m_plan.events = m_rubric.trace_events;
    m_plan.functions = m_rubric.trace_functions;
    // Installed as a student's machine has it: the program and the libraries it needs (those
    // of the stand-in are in the sandbox's image already).
    m_files.push_back({"/usr/bin/kmgrade-agent", g_agent, "", 0755});
    const auto in_image = run::shared_libraries(g_stand_in);
    for (const auto& lib : run::shared_libraries(g_agent)) {
      if (std::find(in_image.begin(), in_image.end(), lib) == in_image.end()) {
        m_files.push_back({lib.string(), lib, "", 0755});
      }
    }
  }
  void TearDown() override { fs::remove_all(m_dir); }

  // The machine's own headers, as far as the prerequisites look.
  void with_headers()
  {
    m_files.push_back({"/lib/modules/" + m_vm.kernel.version + "/build/Makefile", "",
                       util::read_file(m_vm.kernel.build_dir / "Makefile"), 0644});
  }

  run::VmOutcome boot(bool tracefs)
  {
    auto files = m_files;
    files.push_back({"/stand-in.json", "", nlohmann::json{{"tracefs", tracefs}}.dump(), 0644});
    return run::run_in_vm(m_vm, m_plan, files);
  }

  fs::path m_dir;
  score::Rubric m_rubric;
  run::VmOptions m_vm;
  observe::Plan m_plan;
  std::vector<run::GuestFile> m_files;
};

} // namespace

TEST_F(HostMode, TheAgentRunsAsAnOrdinaryProgramOnTheMachinesKernel)
{
  with_headers();
  std::map<std::string, evaluate::ModuleEvidence> evidence;
  for (const auto& m : m_rubric.modules) {
    auto& e = evidence[m.id];
    e.module_id = m.id;
    e.file = m.file;
    e.module_name = m.module_name;
    e.found_at = m.file;
    e.build = build::build_module(g_sample / m.file, m.module_name,
                                  {m_vm.kernel.build_dir, m_dir / "build" / m.id, {}, {}, {}});
    ASSERT_TRUE(e.build->ok) << e.build->log;
    const std::string guest = "/modules/" + m.module_name + ".ko";
    m_files.push_back({guest, e.build->ko, "", 0644});
    for (const auto& load : m.loads) {
      const std::string params = score::params_text(load.params);
      m_plan.loads.push_back({m.id + "/" + params, guest, m.module_name, params, 30000});
      e.planned_params.push_back(params);
    }
  }
  const auto outcome = boot(true);
  ASSERT_TRUE(outcome.completed) << outcome.console;
  EXPECT_EQ(outcome.report.notes, std::vector<std::string>{"tracefs after: current_tracer nop, instances: none"})
    << "the machine lacks nothing, every load has its result, and tracefs is left as it was found";
  EXPECT_EQ(outcome.report.kernel, m_vm.kernel.version);
  EXPECT_EQ(outcome.report.cpus, 2);
  ASSERT_EQ(outcome.report.runs.size(), m_plan.loads.size());
  for (const auto& r : outcome.report.runs) {
    evidence[r.request.id.substr(0, r.request.id.find('/'))].runs.push_back(r);
  }
  // The sample passes every check in the sandbox; observed on the machine's own kernel it
  // must pass them all too.
  for (const auto& ex : m_rubric.exercises) {
    for (const auto& c : ex.checks) {
      if (c.manual) {
        continue;
      }
      const auto v =
        pipeline::run_check(m_rubric, evidence.at(c.id.substr(0, c.id.find('.'))), outcome.report.page_size, c.id);
      EXPECT_EQ(v.status, evaluate::Status::pass) << c.id << ": " << v.message;
    }
  }
}

TEST_F(HostMode, EachMissingPieceIsNamedWithItsFix)
{
  m_vm.cpus = 1;
  const auto outcome = boot(false);
  ASSERT_TRUE(outcome.completed) << outcome.console;
  const std::string v = m_vm.kernel.version;
  EXPECT_EQ(outcome.report.notes,
            (std::vector<std::string>{
              "no headers for the running kernel " + v + " in /lib/modules/" + v +
                "/build | sudo apt install "
                "linux-headers-" +
                v +
                " (if there is no such package, the kernel is older than the archive: sudo "
                "apt full-upgrade, reboot, and try again)",
              "tracefs is not mounted at /sys/kernel/tracing | sudo mount -t tracefs nodev /sys/kernel/tracing",
              "only one CPU is online, and the pinning check needs two | give the machine (or the VM) at least two "
              "CPUs"}));
  EXPECT_TRUE(outcome.report.runs.empty());
}

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 5) {
    std::fprintf(stderr, "usage: e2e_host_mode STAND_IN AGENT SAMPLE RUBRIC\n");
    return 2;
  }
  g_stand_in = argv[1];
  g_agent = argv[2];
  g_sample = argv[3];
  g_rubric = argv[4];
  return RUN_ALL_TESTS();
}
