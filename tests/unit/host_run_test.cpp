#include "temp_folder.h"

#include "run/host_machine.h"
#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace kmgrade;
namespace fs = std::filesystem;

namespace {

// run_on_host with a stand-in for kmgrade-agent: a script that keeps the plan it was given
// and answers with prepared channel lines, under the secret of that plan.
class HostRun : public TempFolderTest
{
protected:
  void SetUp() override
  {
    TempFolderTest::SetUp();
    m_agent = m_dir / "agent";
    util::write_file_atomically(m_agent, "#!/usr/bin/env python3\n"
                                         "import sys\n"
                                         "plan = open(sys.argv[1]).read()\n"
                                         "open('" +
                                           (m_dir / "seen-plan.json").string() +
                                           "', 'w').write(plan)\n"
                                           "import json\n"
                                           "secret = json.loads(plan)['secret']\n"
                                           "answers = open('" +
                                           (m_dir / "answers").string() +
                                           "').read()\n"
                                           "open(sys.argv[2], 'w').write(answers.replace('@SECRET@', secret))\n"
                                           "print('agent output')\n");
    ::chmod(m_agent.c_str(), 0755);
    for (const char* id : {"a", "b", "c"}) {
      m_plan.loads.push_back({id, std::string("/modules/") + id + ".ko", id, "", 30000});
    }
  }

  void answer(const std::vector<std::pair<std::string, nlohmann::json>>& lines)
  {
    std::string text;
    for (const auto& [kind, body] : lines) {
      text += observe::channel_prefix("@SECRET@") + kind + " " + body.dump() + "\n";
    }
    util::write_file_atomically(m_dir / "answers", text);
  }

  static nlohmann::json hello()
  {
    return {{"kernel", "6.6.51+rpt-rpi-2712"}, {"cpus", 4}, {"page_size", 16384}, {"clocksource", "arch_sys_counter"}};
  }

  static nlohmann::json run_of(const observe::LoadRequest& load, bool leaves_cache)
  {
    observe::ModuleRun r;
    r.request = load;
    r.insmod.ok = true;
    r.rmmod.ok = true;
    if (leaves_cache) {
      r.slab_left.push_back({"my_cache", 32, 0});
    }
    return observe::to_json(r);
  }

  run::HostRunOptions options() { return {m_agent, m_dir / "work", {}}; }

  fs::path m_agent;
  observe::Plan m_plan;
};

} // namespace

TEST_F(HostRun, TheAgentLoadsEachModuleFromItsFileOnThisMachine)
{
  answer({{"hello", hello()},
          {"run", run_of(m_plan.loads[0], false)},
          {"run", run_of(m_plan.loads[1], false)},
          {"run", run_of(m_plan.loads[2], false)},
          {"done", nlohmann::json::object()}});
  m_plan.stop_when_dirty = false;
  const auto outcome = run::run_on_host(
    options(), m_plan,
    {{"/modules/a.ko", "/home/student/build/a.ko", "", 0644}, {"/modules/b.ko", "/home/student/build/b.ko", "", 0644}});
  const auto seen = observe::plan_from_json(nlohmann::json::parse(util::read_file(m_dir / "seen-plan.json")));
  ASSERT_EQ(seen.loads.size(), 3u);
  EXPECT_EQ(seen.loads[0].module_path, "/home/student/build/a.ko");
  EXPECT_EQ(seen.loads[1].module_path, "/home/student/build/b.ko");
  EXPECT_EQ(seen.loads[2].module_path, "/modules/c.ko") << "a path not among the files is used as it is";
  EXPECT_TRUE(seen.stop_when_dirty) << "this kernel cannot be booted again";
  EXPECT_FALSE(seen.secret.empty());
  EXPECT_FALSE(fs::exists(m_dir / "work/plan.json")) << "the plan, with its secret, is not left behind";
  EXPECT_EQ(outcome.accel, "host");
  EXPECT_EQ(outcome.report.kernel, "6.6.51+rpt-rpi-2712");
  EXPECT_EQ(outcome.report.page_size, 16384);
  ASSERT_EQ(outcome.report.runs.size(), 3u);
  EXPECT_EQ(outcome.report.runs[2].request.id, "c");
  EXPECT_TRUE(outcome.failures.empty());
}

TEST_F(HostRun, AfterADirtyLoadTheRestAreNotRunAndTheStudentIsToldToReboot)
{
  answer({{"hello", hello()}, {"run", run_of(m_plan.loads[0], true)}, {"done", nlohmann::json::object()}});
  const auto outcome = run::run_on_host(options(), m_plan, {});
  ASSERT_EQ(outcome.report.runs.size(), 1u);
  const std::string why = "not run: the load a left the kernel dirty (slab cache my_cache was left behind); reboot "
                          "this machine before checking again";
  EXPECT_EQ(outcome.failures, (std::map<std::string, std::string>{{"b", why}, {"c", why}}));
}

TEST_F(HostRun, LinesWithoutThePlansSecretAreNotTheAgents)
{
  util::write_file_atomically(m_dir / "answers", observe::channel_prefix("guessed") + "hello " + hello().dump() + "\n");
  try {
    run::run_on_host(options(), m_plan, {});
    FAIL() << "no answer of the agent, yet no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "kmgrade-agent (" + m_agent.string() + ") did not start on this machine: agent output");
  }
}
