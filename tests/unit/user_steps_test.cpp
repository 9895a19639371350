// User space's steps during a load: their JSON both ways, a hostile results channel, the
// agent's step runner on real files, and the transcript check on recorded step results.

#include "agent/step_runner.h"
#include "evaluate/transcript_check.h"
#include "observe/observation.h"
#include "pipeline/grade.h"
#include "run/agent_channel.h"
#include "run/sandbox_vm.h"
#include "score/rubric.h"
#include "temp_folder.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>

using namespace kmgrade;
using observe::StepKind;
using observe::UserStep;
using observe::UserStepResult;

namespace {

std::string every_byte()
{
  std::string bytes;
  for (int c = 0; c < 256; ++c) {
    bytes += static_cast<char>(c);
  }
  return bytes;
}

UserStepResult read_result(const std::string& data, const std::string& path = "/proc/hello_msg")
{
  UserStepResult r;
  r.kind = StepKind::read;
  r.path = path;
  r.result = static_cast<long long>(data.size());
  r.data = data;
  return r;
}

UserStepResult write_result(long long result, int error_code = 0, const std::string& name = "")
{
  UserStepResult r;
  r.kind = StepKind::write;
  r.path = "/proc/hello_msg";
  r.result = result;
  r.error_code = error_code;
  r.errno_name = name;
  r.error = error_code ? std::strerror(error_code) : "";
  return r;
}

UserStepResult stat_file()
{
  UserStepResult r;
  r.kind = StepKind::stat;
  r.path = "/proc/hello_msg";
  r.result = 0;
  r.type = "file";
  r.mode = 0644;
  return r;
}

// The hello lab's module, found and built, with no load yet.
evaluate::ModuleEvidence hello_built()
{
  evaluate::ModuleEvidence e;
  e.module_id = "hello";
  e.file = "hello.c";
  e.module_name = "kmlab_hello";
  e.found_at = "hello.c";
  e.build = build::ModuleBuild{};
  e.build->ok = true;
  return e;
}

} // namespace

TEST(UserSteps, EveryByteRoundTripsThroughJsonText)
{
  const std::string bytes = every_byte();
  const std::string text = observe::bytes_to_json_text(bytes);
  EXPECT_EQ(observe::bytes_from_json_text(text), bytes);
  // Dumping never throws on it, and parsing gives it back.
  const nlohmann::json j = text;
  EXPECT_EQ(observe::bytes_from_json_text(nlohmann::json::parse(j.dump()).get<std::string>()), bytes);
  EXPECT_EQ(observe::bytes_to_json_text("addf lorem\n"), "addf lorem\n");
  EXPECT_THROW(observe::bytes_from_json_text("\xe2\x82\xac"), nlohmann::json::exception) << "U+20AC is no byte";
  EXPECT_THROW(observe::bytes_from_json_text("\xc3"), nlohmann::json::exception) << "cut short";
}

TEST(UserSteps, ALoadWithStepsAndItsResultsRoundTrip)
{
  observe::ModuleRun run;
  run.request = {"student/hello/@echo", "/m.ko", "kmlab_hello", "", 30000, 20000, 150, "echo", {}};
  run.request.steps.push_back({StepKind::write, "/proc/hello_msg", every_byte(), 4096, 1500});
  run.request.steps.push_back({StepKind::read, "/proc/hello_msg", "", 16, 2000});
  run.request.steps.push_back({StepKind::stat, "/proc/hello_msg", "", 4096, 2000});
  run.steps.push_back(write_result(-1, EIO, "EIO"));
  auto read = read_result(every_byte().substr(0, 16));
  read.truncated = true;
  read.timed_out = false;
  run.steps.push_back(read);
  run.steps.push_back(stat_file());
  UserStepResult hung = write_result(-1);
  hung.timed_out = true;
  hung.stuck = true;
  hung.pid = 131;
  run.steps.push_back(hung);

  const auto back = observe::module_run_from_json(nlohmann::json::parse(observe::to_json(run).dump()));
  ASSERT_EQ(back.request.steps.size(), 3u);
  EXPECT_EQ(back.request.name, "echo");
  EXPECT_EQ(back.request.steps[0].data, every_byte());
  EXPECT_EQ(back.request.steps[0].timeout_ms, 1500);
  EXPECT_EQ(back.request.steps[1].kind, StepKind::read);
  EXPECT_EQ(back.request.steps[1].max_bytes, 16u);
  ASSERT_EQ(back.steps.size(), 4u);
  EXPECT_EQ(back.steps[0].errno_name, "EIO");
  EXPECT_EQ(back.steps[0].error_code, EIO);
  EXPECT_EQ(back.steps[1].data, every_byte().substr(0, 16));
  EXPECT_TRUE(back.steps[1].truncated);
  EXPECT_EQ(back.steps[2].type, "file");
  EXPECT_EQ(back.steps[2].mode, 0644u);
  EXPECT_TRUE(back.steps[3].timed_out && back.steps[3].stuck);
  EXPECT_EQ(back.steps[3].pid, 131);
  EXPECT_EQ(observe::dirty_reason(back), "the write of /proc/hello_msg never returned");

  // The plan carries the steps too.
  observe::Plan plan;
  plan.loads.push_back(run.request);
  EXPECT_EQ(observe::plan_from_json(observe::to_json(plan)).loads.at(0).steps.at(0).data, every_byte());
  // A load of an older plan, without steps, is a load without steps.
  auto old = observe::to_json(observe::ModuleRun{});
  old["request"].erase("steps");
  old.erase("steps");
  EXPECT_TRUE(observe::module_run_from_json(old).steps.empty());
  // A step result recorded before steps had their process's pid (a cached reference's) has 0.
  auto without_pid = nlohmann::json(run.steps[0]);
  without_pid.erase("pid");
  EXPECT_EQ(without_pid.get<UserStepResult>().pid, 0);
}

TEST(UserSteps, WhatALoadLeftBehindAndWhatCouldNotBeTracedComeBackWithIt)
{
  observe::ModuleRun run;
  run.request = {"student/hello/", "/m.ko", "kmlab_hello", "", 30000, 20000, 150, "", {}, {"/proc/hello_msg"}};
  run.insmod.ok = run.rmmod.ok = true;
  EXPECT_EQ(observe::dirty_reason(run), "");
  run.left_behind = {"/proc/hello_msg"};
  run.untraceable = {{"__list_add_valid", "the kernel will not probe it"}};
  const auto back = observe::module_run_from_json(nlohmann::json::parse(observe::to_json(run).dump()));
  EXPECT_EQ(back.request.removes, std::vector<std::string>{"/proc/hello_msg"});
  EXPECT_EQ(back.left_behind, std::vector<std::string>{"/proc/hello_msg"});
  ASSERT_EQ(back.untraceable.size(), 1u);
  EXPECT_EQ(back.untraceable[0].function, "__list_add_valid");
  EXPECT_EQ(back.untraceable[0].why, "the kernel will not probe it");
  EXPECT_EQ(observe::dirty_reason(back), "/proc/hello_msg was still there after rmmod")
    << "the next load of the module runs in a fresh VM";

  observe::Plan plan;
  plan.module_calls = {"mutex_lock"};
  plan.loads.push_back(run.request);
  const auto plan_back = observe::plan_from_json(observe::to_json(plan));
  EXPECT_EQ(plan_back.module_calls, std::vector<std::string>{"mutex_lock"});
  EXPECT_EQ(plan_back.loads.at(0).removes, std::vector<std::string>{"/proc/hello_msg"});
}

TEST(UserSteps, AForgedOrBrokenRunLineIsSkippedNeverThrown)
{
  observe::ModuleRun run;
  run.steps.push_back(read_result("ok\n"));
  const std::string agent = "KMG 0f0f run ";
  bool completed = false;
  auto good = observe::to_json(run);
  ASSERT_EQ(run::parse_channel(agent + good.dump() + "\n", "0f0f", completed).runs.size(), 1u);
  const std::vector<std::function<void(nlohmann::json&)>> forgeries = {
    [](auto& j) { j["steps"][0]["kind"] = "exec"; },
    [](auto& j) { j["steps"][0]["kind"] = 1; },
    [](auto& j) { j["steps"][0]["data"] = "\u20ac"; },
    [](auto& j) { j["steps"][0]["data"] = std::string(observe::k_max_step_bytes + 1, 'a'); },
    [](auto& j) { j["steps"][0]["error_code"] = -5; },
    [](auto& j) { j["steps"][0]["result"] = -7; },
    [](auto& j) { j["steps"][0]["pid"] = -1; },
    [](auto& j) { j["steps"][0]["path"] = nullptr; },
    [](auto& j) { j["steps"] = nlohmann::json::array({1}); },
    [](auto& j) {
      j["request"]["steps"] = nlohmann::json::array({{{"kind", "read"}, {"path", "/x"}, {"timeout_ms", 0}}});
    },
    [](auto& j) { j["steps"] = std::vector<nlohmann::json>(observe::k_max_steps + 1, j["steps"][0]); },
  };
  for (std::size_t i = 0; i < forgeries.size(); ++i) {
    auto forged = good;
    forgeries[i](forged);
    EXPECT_TRUE(run::parse_channel(agent + forged.dump() + "\n", "0f0f", completed).runs.empty()) << i;
  }
  // A raw byte that is not UTF-8 in the line: not JSON, skipped.
  EXPECT_TRUE(run::parse_channel(agent + "{\"steps\":[{\"kind\":\"read\",\"path\":\"\xff\"}]}\n", "0f0f", completed)
                .runs.empty());
}

using StepRunner = TempFolderTest;

TEST_F(StepRunner, WritesOnceReadsToTheCapAndStats)
{
  const auto file = (m_dir / "msg").string();
  util::write_file_atomically(file, "");
  auto w = agent::run_step({StepKind::write, file, "addf lorem\n", 4096, 2000});
  EXPECT_EQ(w.result, 11);
  EXPECT_EQ(w.error_code, 0);
  auto r = agent::run_step({StepKind::read, file, "", 4096, 2000});
  EXPECT_GT(w.pid, 0);
  EXPECT_NE(w.pid, ::getpid()) << "each step runs in a process of its own";
  EXPECT_NE(r.pid, w.pid);
  EXPECT_EQ(r.result, 11);
  EXPECT_EQ(r.data, "addf lorem\n");
  EXPECT_FALSE(r.truncated);
  auto cut = agent::run_step({StepKind::read, file, "", 4, 2000});
  EXPECT_EQ(cut.result, 4);
  EXPECT_EQ(cut.data, "addf");
  EXPECT_TRUE(cut.truncated);
  auto s = agent::run_step({StepKind::stat, file, "", 4096, 2000});
  EXPECT_EQ(s.result, 0);
  EXPECT_EQ(s.type, "file");
  EXPECT_EQ(s.size, 11);
  auto dir = agent::run_step({StepKind::stat, m_dir.string(), "", 4096, 2000});
  EXPECT_EQ(dir.type, "dir");
  auto missing = agent::run_step({StepKind::read, file + ".not-there", "", 4096, 2000});
  EXPECT_EQ(missing.result, -1);
  EXPECT_EQ(missing.error_code, ENOENT);
  EXPECT_EQ(missing.errno_name, "ENOENT");
  EXPECT_EQ(missing.error, "No such file or directory");
  auto refused = agent::run_step({StepKind::write, m_dir.string(), "x", 4096, 2000});
  EXPECT_EQ(refused.errno_name, "EISDIR");
}

TEST_F(StepRunner, AStepThatBlocksIsKilledAtItsLimitAndTheNextOneRuns)
{
  // Opening a FIFO for reading blocks until a writer comes: none ever does.
  const auto fifo = (m_dir / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto r = agent::run_step({StepKind::read, fifo, "", 4096, 200});
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.stuck) << "a killable wait dies with its process";
  EXPECT_EQ(r.result, -1);
  EXPECT_EQ(r.error, "did not return");
  EXPECT_GE(r.duration_ns, 200'000'000u);
  const auto file = (m_dir / "after").string();
  util::write_file_atomically(file, "x");
  EXPECT_EQ(agent::run_step({StepKind::read, file, "", 4096, 2000}).data, "x");
}

// The transcript check on step results as the agent recorded them (the hello lab's load echo).
class Transcript : public ::testing::Test
{
protected:
  Transcript() : m_lab(score::load_rubric(KMGRADE_TEST_DATA "/labs/hello/hello.json")), m_e(hello_built())
  {
    m_reference = {stat_file(), write_result(6), read_result("hello\n"), write_result(-1, EINVAL, "EINVAL"),
                   read_result("hell")};
    m_reference.back().truncated = true;
    m_e.reference_steps["echo"] = m_reference;
  }

  evaluate::Verdict verdict(std::vector<UserStepResult> steps, score::CompareMode mode = score::CompareMode::lines)
  {
    observe::ModuleRun run;
    const auto& load = *m_lab.module("hello")->load("echo");
    run.request = {"student/hello/@echo", "/m.ko", "kmlab_hello", "", 30000, 20000, 150, "echo", load.steps};
    run.insmod = {true, true, 0, "", 1000, false};
    run.rmmod = {true, true, 0, "", 1000, false};
    run.steps = std::move(steps);
    m_e.runs = {run};
    for (auto& ex : m_lab.exercises) {
      for (auto& c : ex.checks) {
        if (c.id == "hello.transcript-echo") {
          c.compare = mode;
        }
      }
    }
    return pipeline::run_check(m_lab, m_e, 4096, "hello.transcript-echo");
  }

  score::Rubric m_lab;
  evaluate::ModuleEvidence m_e;
  std::vector<UserStepResult> m_reference;
};

TEST_F(Transcript, TheSameStepsPass)
{
  const auto v = verdict(m_reference);
  EXPECT_EQ(v.status, evaluate::Status::pass);
  EXPECT_EQ(v.message, "the 5 step(s) of load echo gave what the reference's gave (compared lines)");
  ASSERT_EQ(v.evidence.size(), 5u);
  EXPECT_EQ(v.evidence[2], "step 3 (read \"/proc/hello_msg\"): read \"hello\\n\" (6 byte(s)), as the reference's");
  EXPECT_EQ(v.evidence[3],
            "step 4 (write \"/proc/hello_msg\"): failed with EINVAL (Invalid argument), as the reference's");
}

TEST_F(Transcript, AWriteThatTakesNothingFailsAndSaysWhatEachSideGave)
{
  auto steps = m_reference;
  steps[1] = write_result(0);
  steps[2] = read_result("");
  steps[3] = write_result(0);
  steps[4] = read_result("");
  const auto v = verdict(steps);
  EXPECT_EQ(v.status, evaluate::Status::fail);
  EXPECT_EQ(v.message, "load echo, step 2 (write \"/proc/hello_msg\"): the reference's wrote 6 byte(s), yours wrote 0 "
                       "byte(s) (the byte count differs)");
  ASSERT_GE(v.evidence.size(), 4u);
  EXPECT_EQ(v.evidence[1],
            "step 3 (read \"/proc/hello_msg\"): the reference's read \"hello\\n\" (6 byte(s)), yours read "
            "\"\" (0 byte(s)) (line 1 differs)");
  EXPECT_EQ(v.evidence[2], "step 4 (write \"/proc/hello_msg\"): the reference's failed with EINVAL (Invalid argument), "
                           "yours wrote 0 byte(s) (the outcome differs)");
}

TEST_F(Transcript, LinesIgnoreOnlyTheLastNewlineAndExactIgnoresNothing)
{
  auto steps = m_reference;
  steps[2] = read_result("hello");
  EXPECT_EQ(verdict(steps).status, evaluate::Status::pass);
  const auto exact = verdict(steps, score::CompareMode::exact);
  EXPECT_EQ(exact.status, evaluate::Status::fail);
  EXPECT_EQ(exact.message,
            "load echo, step 3 (read \"/proc/hello_msg\"): the reference's read \"hello\\n\" (6 byte(s)), "
            "yours read \"hello\" (5 byte(s)) (the bytes differ)");
  steps[2] = read_result(" hello\n");
  EXPECT_EQ(verdict(steps).message,
            "load echo, step 3 (read \"/proc/hello_msg\"): the reference's read \"hello\\n\" (6 "
            "byte(s)), yours read \" hello\\n\" (7 byte(s)) (line 1 differs)");
  steps[2] = read_result("hello\n\n");
  EXPECT_EQ(verdict(steps).status, evaluate::Status::fail) << "a blank line is a line";
  // Substring: each of the reference's lines is somewhere in the student's.
  steps[2] = read_result("say: hello!\n");
  EXPECT_EQ(verdict(steps, score::CompareMode::substring).status, evaluate::Status::pass);
  steps[2] = read_result("hullo\n");
  EXPECT_EQ(verdict(steps, score::CompareMode::substring).message,
            "load echo, step 3 (read \"/proc/hello_msg\"): the reference's read \"hello\\n\" (6 byte(s)), yours read "
            "\"hullo\\n\" (6 byte(s)) (the reference's line \"hello\" is not in it)");
}

TEST_F(Transcript, AStudentsBytesAreEscapedAndCut)
{
  auto steps = m_reference;
  steps[2] = read_result(std::string("\x1b[2J\"\\\xff", 7) + '\0' + std::string(100, 'a'));
  const auto v = verdict(steps);
  EXPECT_EQ(v.status, evaluate::Status::fail);
  EXPECT_NE(v.message.find("yours read \"\\x1b[2J\\\"\\\\\\xff\\x00aaaaa"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("\" and 48 more byte(s) (108 byte(s))"), std::string::npos) << v.message;
  for (char c : v.message) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << v.message;
  }
}

TEST_F(Transcript, AStepThatNeverReturnedAndStepsThatNeverRan)
{
  auto steps = m_reference;
  steps.resize(2);
  steps[1] = write_result(-1);
  steps[1].timed_out = true;
  steps[1].stuck = true;
  const auto v = verdict(steps);
  EXPECT_EQ(v.status, evaluate::Status::fail);
  EXPECT_EQ(v.message, "load echo, step 2 (write \"/proc/hello_msg\"): the reference's wrote 6 byte(s), yours did not "
                       "return within 2000 ms (one returned, the other did not)");
  ASSERT_GE(v.evidence.size(), 2u);
  EXPECT_EQ(v.evidence[1], "step 3 (read \"/proc/hello_msg\"): the reference's read \"hello\\n\" (6 byte(s)), yours "
                           "never ran (a step before it never returned)");
}

TEST_F(Transcript, WithoutTheLoadOrTheReferencesStepsItIsAnError)
{
  m_e.named_failures["echo"] = "the sandbox VM stopped answering";
  m_e.runs.clear();
  EXPECT_EQ(pipeline::run_check(m_lab, m_e, 4096, "hello.transcript-echo").message,
            "the sandbox returned no result for the load echo: the sandbox VM stopped answering");
  m_e.reference_steps.clear();
  const auto v = verdict(m_reference);
  EXPECT_EQ(v.status, evaluate::Status::error);
  EXPECT_EQ(v.message, "the reference solution's load echo gave no steps to compare with: kmgrade could not grade "
                       "this; grade again, with --fresh-reference");
}

TEST(QuotedBytes, ShowsPrintableAsciiAndEscapesTheRest)
{
  EXPECT_EQ(evaluate::quoted_bytes("a\tb\n"), "\"a\\tb\\n\"");
  EXPECT_EQ(evaluate::quoted_bytes(std::string("\0\x7f", 2)), "\"\\x00\\x7f\"");
  EXPECT_EQ(evaluate::quoted_bytes("abcdef", 3), "\"abc\" and 3 more byte(s)");
}

// A real boot of the hello lab (tests/data/hello-steps: `kmgrade grade --work-dir` of
// samples/write-returns-0 with --fresh-reference): the reference's load echo, then the
// student's three loads.
TEST(TranscriptRecorded, InTheSandbox)
{
  const std::string dir = KMGRADE_TEST_DATA "/hello-steps/boot-1/";
  const auto plan = observe::plan_from_json(nlohmann::json::parse(util::read_file(dir + "plan.json")));
  bool completed = false;
  const auto report = run::parse_channel(util::read_file(dir + "channel.log"), plan.secret, completed);
  ASSERT_TRUE(completed);
  ASSERT_EQ(report.runs.size(), 4u);
  const auto lab = score::load_rubric(KMGRADE_TEST_DATA "/labs/hello/hello.json");
  evaluate::ModuleEvidence student = hello_built();
  evaluate::ModuleEvidence reference = hello_built();
  for (const auto& r : report.runs) {
    (r.request.id.rfind("reference/", 0) == 0 ? reference : student).runs.push_back(r);
  }
  const auto* echo = reference.named_run("echo");
  ASSERT_NE(echo, nullptr);
  ASSERT_EQ(echo->steps.size(), 5u);
  EXPECT_EQ(echo->steps[2].data, "hello\n");
  EXPECT_EQ(echo->steps[3].errno_name, "EINVAL");
  EXPECT_EQ(echo->steps[4].data, "hell");
  EXPECT_TRUE(echo->steps[4].truncated);
  student.reference_steps["echo"] = echo->steps;
  reference.reference_steps["echo"] = echo->steps;

  const auto fails = pipeline::run_check(lab, student, 4096, "hello.transcript-echo");
  EXPECT_EQ(fails.status, evaluate::Status::fail);
  EXPECT_EQ(fails.message,
            "load echo, step 2 (write \"/proc/hello_msg\"): the reference's wrote 6 byte(s), yours wrote "
            "0 byte(s) (the byte count differs)");
  ASSERT_EQ(fails.evidence.size(), 5u);
  EXPECT_EQ(fails.evidence[3], "step 5 (read \"/proc/hello_msg\"): the reference's read \"hell\" (4 byte(s), and more "
                               "past the step's max_bytes), yours read \"\" (0 byte(s)) (line 1 differs)");
  EXPECT_EQ(fails.evidence[4], "step 1 (stat \"/proc/hello_msg\"): found a file, as the reference's");

  const auto passes = pipeline::run_check(lab, reference, 4096, "hello.transcript-echo");
  EXPECT_EQ(passes.status, evaluate::Status::pass);
  EXPECT_EQ(passes.message, "the 5 step(s) of load echo gave what the reference's gave (compared lines)");
}

TEST(UserSteps, ALoadMayTakeEveryStepToItsLimitBeforeTheHostGivesUpOnIt)
{
  observe::Plan plan;
  plan.loads.push_back({"a", "/a.ko", "a", "", 30000, 20000, 150, "", {}});
  const auto without = run::load_limit(plan);
  EXPECT_EQ(without.count(), 30 + 40 + 30);
  plan.loads[0].steps = {{StepKind::read, "/proc/x", "", 4096, 5000}, {StepKind::stat, "/proc/x", "", 4096, 2000}};
  EXPECT_EQ(run::load_limit(plan).count(), without.count() + 9);
}
