// What the sandbox's agent observes for a lab file's module_calls and removes, and which
// process ran each step, in the real VM with the example lab's modules: the hello lab's
// reference, whose reads and writes of /proc/hello_msg take a mutex, and its sample
// keeps-proc-entry, whose exit function leaves /proc/hello_msg behind.
//
//   e2e_observations HELLO_LAB_DIR

#include "build/module_build.h"
#include "evaluate/module_evidence.h"
#include "run/run_plan.h"
#include "run/sandbox_kernel.h"
#include "score/rubric.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

fs::path g_lab_dir;

// The module's calls in a load, in order: "func by pid <- parent".
struct Call
{
  std::string func;
  int pid;
  std::string parent;
};

std::vector<Call> module_calls(const observe::ModuleRun& run)
{
  std::vector<Call> calls;
  const evaluate::RunView view(run, {});
  for (const auto& se : view.events()) {
    if (se.event.name == "module_call") {
      calls.push_back({se.event.field("func"), se.event.pid, se.event.field("parent")});
    }
  }
  return calls;
}

std::string show(const std::vector<Call>& calls)
{
  std::string out;
  for (const auto& c : calls) {
    out += c.func + " by " + std::to_string(c.pid) + " <- " + c.parent + "\n";
  }
  return out;
}

class Observations : public ::testing::Test
{
protected:
  void SetUp() override
  {
    std::string tmpl = (fs::temp_directory_path() / "kmgrade-observations-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
    m_lab = score::load_rubric(g_lab_dir / "hello.json");
    m_vm.kernel = run::find_sandbox_kernel();
    m_vm.agent = KMGRADE_AGENT;
    m_vm.work_dir = m_dir / "vm";
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    m_vm.cache_dir = (xdg && *xdg ? fs::path(xdg) : fs::path(std::getenv("HOME")) / ".cache") / "kmgrade";
    m_vm.accel = run::resolve_accel(m_vm);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  // hello.c of `folder` built as kmlab_hello, at a guest path of its own.
  std::string module(const fs::path& folder, const std::string& guest_name)
  {
    const auto b = build::build_module(folder / "hello.c", "kmlab_hello",
                                       {m_vm.kernel.build_dir, m_dir / "build" / guest_name, {}, {}, {}});
    EXPECT_TRUE(b.ok) << b.log;
    // What the grader probes of trace.module_calls: the functions the module imports.
    const auto& imports = b.info.imports;
    EXPECT_NE(std::find(imports.begin(), imports.end(), "mutex_lock"), imports.end());
    EXPECT_EQ(std::find(imports.begin(), imports.end(), "_raw_spin_lock"), imports.end());
    const std::string guest = "/modules/" + guest_name + "/kmlab_hello.ko";
    m_files.push_back({guest, b.ko, "", 0644});
    return guest;
  }

  fs::path m_dir;
  score::Rubric m_lab;
  run::VmOptions m_vm;
  std::vector<run::GuestFile> m_files;
};

} // namespace

TEST_F(Observations, ModuleCallsPathsLeftBehindAndTheStepsProcesses)
{
  const auto& hello = *m_lab.module("hello");
  const auto reference = module(g_lab_dir / "reference", "reference");
  const auto stale = module(g_lab_dir / "samples/keeps-proc-entry", "stale");
  observe::Plan plan;
  plan.events = m_lab.trace_events;
  plan.allocations = m_lab.allocations;
  // The lab's own, one its init function calls, one its exit function calls, a notrace
  // function and one the kernel does not have.
  plan.module_calls = m_lab.module_calls;
  plan.module_calls.insert(plan.module_calls.end(),
                           {"proc_create", "proc_remove", "__list_add_valid", "kmgrade_no_such_function"});
  const auto& echo = hello.load("echo")->steps;
  plan.loads = {{"echo", reference, "kmlab_hello", "", 30000, 20000, 150, "echo", echo, hello.removes},
                {"stale", stale, "kmlab_hello", "", 30000, 20000, 150, "", {}, hello.removes},
                {"after", reference, "kmlab_hello", "", 30000, 20000, 150, "", {}, hello.removes}};
  const auto outcome = run::run_plan(m_vm, plan, m_files, {});
  ASSERT_EQ(outcome.report.runs.size(), 3u) << "failures: " << outcome.failures.size();

  const std::vector<std::string> untraceable = {
    "__list_add_valid: the kernel will not probe it: a notrace function (not in available_filter_functions)",
    "kmgrade_no_such_function: the kernel has no function of that name (inlined, or absent)"};
  for (const auto& why : untraceable) {
    const std::string note = "cannot trace the module's calls of " + why;
    EXPECT_NE(std::find(outcome.report.notes.begin(), outcome.report.notes.end(), note), outcome.report.notes.end())
      << note;
  }
  for (const auto& r : outcome.report.runs) {
    std::vector<std::string> seen;
    for (const auto& u : r.untraceable) {
      seen.push_back(u.function + ": " + u.why);
    }
    EXPECT_EQ(seen, untraceable) << r.request.id << ": each load carries what could not be traced";
  }

  // The reference's init function creates the file (in the task that ran insmod), each write
  // and read takes the mutex in the step's own process, and the exit function removes the
  // file (in the task that ran rmmod; read after rmmod, its caller is known by address).
  const auto& run = outcome.report.runs[0];
  ASSERT_EQ(run.steps.size(), echo.size());
  for (std::size_t i = 0; i < run.steps.size(); ++i) {
    EXPECT_GT(run.steps[i].pid, 0) << i;
    for (std::size_t j = 0; j < i; ++j) {
      EXPECT_NE(run.steps[i].pid, run.steps[j].pid) << "each step runs in a process of its own";
    }
  }
  const auto calls = module_calls(run);
  std::vector<std::string> got;
  for (const auto& c : calls) {
    got.push_back(c.func + " by " + std::to_string(c.pid));
  }
  const auto by = [](int pid) { return " by " + std::to_string(pid); };
  const auto& s = run.steps;
  // A read reads to the end of the file: twice, the second read finding nothing more, unless
  // it reads past its max_bytes at once.
  EXPECT_EQ(got, (std::vector<std::string>{"proc_create" + by(run.loader_pid), "mutex_lock" + by(s[1].pid),
                                           "mutex_unlock" + by(s[1].pid), "mutex_lock" + by(s[2].pid),
                                           "mutex_unlock" + by(s[2].pid), "mutex_lock" + by(s[2].pid),
                                           "mutex_unlock" + by(s[2].pid), "mutex_lock" + by(s[4].pid),
                                           "mutex_unlock" + by(s[4].pid), "proc_remove" + by(run.unloader_pid)}))
    << show(calls);
  if (calls.size() == 10) {
    // ftrace keeps the names of a module's freed init functions while the module is loaded.
    EXPECT_TRUE(calls[0].parent.rfind("hello_init+", 0) == 0 || calls[0].parent.rfind("0x", 0) == 0) << calls[0].parent;
    EXPECT_EQ(calls[1].parent.rfind("msg_write+", 0), 0u) << calls[1].parent;
    EXPECT_NE(calls[1].parent.find(" [kmlab_hello]"), std::string::npos) << calls[1].parent;
    EXPECT_EQ(calls[3].parent.rfind("msg_read+", 0), 0u) << calls[3].parent;
    EXPECT_EQ(calls[9].parent.rfind("0x", 0), 0u) << calls[9].parent;
  }
  // The write step's allocation is seen in the trace as its process's.
  bool allocated_by_write = false;
  const evaluate::RunView view(run, {});
  for (const auto& se : view.events()) {
    allocated_by_write = allocated_by_write || (se.event.name == "kmalloc" && se.event.pid == s[1].pid);
  }
  EXPECT_TRUE(allocated_by_write);
  EXPECT_TRUE(run.left_behind.empty());
  EXPECT_EQ(observe::dirty_reason(run), "");

  // The sample leaves the file behind: that load is dirty, the next runs in a fresh VM, where
  // the reference's insmod can create the file again.
  const auto& left = outcome.report.runs[1];
  EXPECT_TRUE(left.rmmod.ok);
  EXPECT_EQ(left.left_behind, std::vector<std::string>{"/proc/hello_msg"});
  EXPECT_EQ(observe::dirty_reason(left), "/proc/hello_msg was still there after rmmod");
  EXPECT_EQ(outcome.boots, 2);
  const auto& after = outcome.report.runs[2];
  EXPECT_TRUE(after.insmod.ok) << after.insmod.error;
  EXPECT_TRUE(after.left_behind.empty());
  EXPECT_EQ(observe::dirty_reason(after), "");
}

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: e2e_observations HELLO_LAB_DIR\n");
    return 2;
  }
  g_lab_dir = argv[1];
  return RUN_ALL_TESTS();
}
