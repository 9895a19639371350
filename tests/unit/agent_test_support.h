#pragma once

#include "agent/kernel_paths.h"

#include "observe/trace_line.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

// An event of the trace as parse_trace_line would give it, with only what a test needs.
inline kmgrade::observe::TraceEvent trace_event(int pid, const std::string& name,
                                                std::map<std::string, std::string> fields = {})
{
  kmgrade::observe::TraceEvent ev;
  ev.pid = pid;
  ev.name = name;
  ev.fields = std::move(fields);
  return ev;
}

// What `pick` gives of each item, in order: compares a result by the one member a test is about.
template <typename T, typename Pick>
auto each(const std::vector<T>& items, Pick pick)
{
  std::vector<decltype(pick(items.front()))> out;
  for (const auto& item : items) {
    out.push_back(pick(item));
  }
  return out;
}

// A folder of the test's own that stands in for the guest's "/": the agent's readers are
// pointed at it through KernelPaths, and the test writes the kernel's files into it.
class FakeKernelRoot : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_paths.root =
      std::filesystem::temp_directory_path() / ("kmgrade-agent-test-" + std::to_string(::getpid()) + "-" +
                                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(m_paths.root);
    std::filesystem::create_directories(m_paths.root);
  }
  void TearDown() override { std::filesystem::remove_all(m_paths.root); }

  // Writes `text` to `rel` under the root, making its folders.
  void write(const std::string& rel, const std::string& text)
  {
    const auto path = m_paths.root / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  // /proc/<pid>/status of a kernel thread (a child of kthreadd unless `ppid` says otherwise).
  void write_task(int pid, const std::string& name, char state, int ppid = 2, const std::string& cpus = "0-1")
  {
    write("proc/" + std::to_string(pid) + "/status", "Name:\t" + name + "\nUmask:\t0000\nState:\t" + state +
                                                       " (whatever)\nTgid:\t" + std::to_string(pid) + "\nPid:\t" +
                                                       std::to_string(pid) + "\nPPid:\t" + std::to_string(ppid) +
                                                       "\nCpus_allowed:\t3\n" + "Cpus_allowed_list:\t" + cpus + "\n");
  }

  kmgrade::agent::KernelPaths m_paths;
};
