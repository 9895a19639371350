#pragma once

// Observations recorded from real sandbox runs (tests/data/<case>/: the plan the agent ran and
// the agent's channel output, as `kmgrade grade --work-dir` keeps them), as the checks see them.

#include "evaluate/timing.h"
#include "labs/lab5/checks.h"
#include "pipeline/grade.h"
#include "run/agent_channel.h"
#include "run/run_plan.h"
#include "score/rubric.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kmgrade::testing {

inline std::string read_text(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Recorded
{
public:
  explicit Recorded(const std::string& name) : m_rubric(score::load_rubric(KMGRADE_RUBRIC))
  {
    // One folder per boot, as the sandbox went on in a fresh VM after a dirty load; the
    // first boot's plan is the whole plan.
    const std::filesystem::path dir = std::filesystem::path(KMGRADE_TEST_DATA) / name;
    for (int boot = 1; std::filesystem::exists(dir / ("boot-" + std::to_string(boot))); ++boot) {
      const auto boot_dir = dir / ("boot-" + std::to_string(boot));
      auto plan = observe::plan_from_json(nlohmann::json::parse(read_text(boot_dir / "plan.json")));
      bool completed = false;
      auto report = run::parse_channel(read_text(boot_dir / "channel.log"), plan.secret, completed);
      EXPECT_TRUE(completed) << boot_dir;
      if (boot == 1) {
        m_report = report;
        m_report.runs.clear();
        for (const auto& load : plan.loads) {
          if (load.id.rfind("student/", 0) == 0) {
            evidence(module_of(load.id)).planned_params.push_back(load.params);
          }
        }
      }
      for (const auto& r : report.runs) {
        m_report.runs.push_back(r);
        if (r.request.id.rfind("student/", 0) == 0) {
          evidence(module_of(r.request.id)).runs.push_back(r);
        }
      }
    }
    EXPECT_FALSE(m_report.runs.empty()) << "no recorded runs in " << dir;
  }

  evaluate::Verdict verdict(const std::string& id)
  {
    return pipeline::run_check(m_rubric, evidence(id.substr(0, id.find('.'))), m_report.page_size, id);
  }

  evaluate::ModuleEvidence& evidence(const std::string& module)
  {
    auto& e = m_evidence[module];
    if (e.module_id.empty()) {
      const auto& spec = *m_rubric.module(module);
      e.module_id = module;
      e.file = spec.file;
      e.module_name = spec.module_name;
      e.found_at = spec.file;
      build::ModuleBuild b;
      b.ok = true;
      b.module_name = spec.module_name;
      b.info.license = "GPL";
      b.info.params = {{"objnum", "uint"}};
      e.build = b;
    }
    return e;
  }

  const observe::GuestReport& report() const { return m_report; }

private:
  static std::string module_of(const std::string& id)
  {
    auto first = id.find('/');
    return id.substr(first + 1, id.find('/', first + 1) - first - 1);
  }

  score::Rubric m_rubric;
  observe::GuestReport m_report;
  std::map<std::string, evaluate::ModuleEvidence> m_evidence;
};

} // namespace kmgrade::testing
