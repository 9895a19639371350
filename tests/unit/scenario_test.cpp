// Scenario checks: the tests a lab file gives a check, read and validated; each kind of
// expectation decided as the shell test it stands for would decide it; a check's points
// shared by its passed tests; the course checker's score added up by its own rules.

#include "evaluate/scenario_check.h"
#include "pipeline/grade.h"
#include "score/rubric.h"
#include "score/score.h"
#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

using namespace kmgrade;
using observe::StepKind;
using observe::UserStep;
using observe::UserStepResult;
using score::StepExpectation;
using Kind = StepExpectation::Kind;

namespace {

const std::string k_lab = KMGRADE_LABS "/so2-list.json";

nlohmann::json so2_list()
{
  return nlohmann::json::parse(util::read_file(k_lab));
}

// What parse_rubric says of the so2-list lab changed by `edit`, without its "invalid rubric
// <path>: "; "" when it accepts it.
std::string refusal(const std::function<void(nlohmann::json&)>& edit)
{
  auto j = so2_list();
  edit(j);
  try {
    score::parse_rubric(j.dump(2), "edited.json");
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string prefix = "invalid rubric edited.json: ";
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << what;
    return what.substr(std::min(prefix.size(), what.size()));
  }
  return "";
}

// The tests of the check `index` of exercise `ex`.
nlohmann::json& tests_of(nlohmann::json& j, std::size_t ex, std::size_t index)
{
  return j["exercises"][ex]["checks"][index]["tests"];
}

UserStep read_step()
{
  return {StepKind::read, "/proc/list/preview", "", 4096, 2000};
}

UserStepResult read_of(const std::string& data)
{
  UserStepResult r;
  r.kind = StepKind::read;
  r.path = "/proc/list/preview";
  r.result = static_cast<long long>(data.size());
  r.data = data;
  return r;
}

UserStepResult failed(StepKind kind, const std::string& errno_name)
{
  UserStepResult r;
  r.kind = kind;
  r.result = -1;
  r.error_code = 5;
  r.errno_name = errno_name;
  return r;
}

StepExpectation expect(Kind kind, std::string text = "", long long count = 0)
{
  StepExpectation e;
  e.kind = kind;
  e.text = std::move(text);
  e.count = count;
  return e;
}

bool meets(const StepExpectation& e, const UserStepResult& got, const UserStep& step = read_step())
{
  return evaluate::unmet(e, step, got, nullptr).empty();
}

} // namespace

TEST(ScenarioTests, TheListLabHoldsTheOfficialCheckersFortyEightTestsForNinetyPoints)
{
  const auto r = score::load_rubric(k_lab);
  ASSERT_TRUE(r.official.has_value());
  EXPECT_DOUBLE_EQ(r.official->max_score, 90);
  std::size_t official = 0;
  for (const auto& ex : r.exercises) {
    for (const auto& c : ex.checks) {
      for (const auto& t : c.tests) {
        official += t.official ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(official, 48u);
  const auto* mix = r.check("list.mix");
  ASSERT_NE(mix, nullptr);
  ASSERT_EQ(mix->tests.size(), 2u);
  EXPECT_EQ(mix->tests[1].name, "mix_content");
  ASSERT_TRUE(mix->tests[1].official_expect.has_value());
  EXPECT_EQ(mix->tests[1].official_expect->kind, Kind::newlines);
  EXPECT_EQ(mix->tests[1].expect.kind, Kind::lines);
  EXPECT_EQ(r.check("list.order")->tests[5].printed_as, "addf_end_after_adde");
}

TEST(ScenarioTests, EachTestIsCheckedWhenTheLabIsLoaded)
{
  EXPECT_EQ(refusal([](nlohmann::json&) {}), "");
  EXPECT_EQ(refusal([](nlohmann::json& j) { tests_of(j, 1, 0)[0]["step"] = 3; }),
            "check list.add-one.tests[0].step must be a step of load addf-lorem: a number from 1 to 2");
  EXPECT_EQ(refusal([](nlohmann::json& j) { tests_of(j, 1, 0)[0]["load"] = "addf-ipsum"; }),
            "check list.add-one.tests[0].load: modules.list.loads has no load named addf-ipsum with steps");
  EXPECT_EQ(refusal([](nlohmann::json& j) {
              tests_of(j, 1, 0)[0]["expect"] = {{"contains", "lorem"}};
            }),
            "check list.add-one.tests[0] expects what a read step gives, of a write step");
  EXPECT_EQ(refusal([](nlohmann::json& j) {
              tests_of(j, 1, 0)[1]["expect"] = {{"contains", "lorem"}, {"newlines", 1}};
            }),
            "check list.add-one.tests[1].expect holds both contains and newlines; a test expects one thing");
  EXPECT_EQ(refusal([](nlohmann::json& j) {
              tests_of(j, 1, 0)[1]["expect"] = {{"newlines", -1}};
            }),
            "check list.add-one.tests[1].expect.newlines must be a number of newlines, 0 or more");
  EXPECT_EQ(refusal([](nlohmann::json& j) {
              tests_of(j, 0, 1)[5]["expect"] = {{"fails_with", "eio"}};
            }),
            "check list.interface.tests[5].expect.fails_with must be an errno name such as EIO");
  EXPECT_EQ(refusal([](nlohmann::json& j) { tests_of(j, 1, 0)[1]["name"] = "addf_no_error"; }),
            "check list.add-one.tests: two tests are named addf_no_error");
  EXPECT_EQ(refusal([](nlohmann::json& j) { tests_of(j, 1, 0)[1]["weight"] = 2; }),
            "check list.add-one.tests[1]: weight is not a field of a test");
  // The official tests add up to the checker's total.
  EXPECT_EQ(refusal([](nlohmann::json& j) { tests_of(j, 1, 0)[1]["points"] = 3; }),
            "the official tests' points add up to 91, official.max_score is 90");
  EXPECT_EQ(refusal([](nlohmann::json& j) { j.erase("official"); }),
            "check list.order.tests[5]: official, official_expect and printed_as need the lab's \"official\" checker");
  EXPECT_EQ(refusal([](nlohmann::json& j) { tests_of(j, 3, 0)[0]["every_read_of"] = "/proc/list/other"; }),
            "check list.exact-format.tests[0].every_read_of: no load of modules.list reads /proc/list/other");
  EXPECT_EQ(refusal([](nlohmann::json& j) { j["sandbox"]["threadless_settle_ms"] = 6000; }),
            "sandbox.threadless_settle_ms must be a number of milliseconds from 0 to 5000");
}

TEST(ScenarioTests, ReadsAreJudgedAsGrepAndWcJudgeThem)
{
  // wc -l counts newline characters: a last line without one is not counted ...
  EXPECT_TRUE(meets(expect(Kind::newlines, "", 1), read_of("lorem\nipsum")));
  EXPECT_FALSE(meets(expect(Kind::newlines, "", 2), read_of("lorem\nipsum")));
  // ... but grep prints it with one, so `grep x | wc -l` counts it.
  EXPECT_TRUE(meets(expect(Kind::lines_with, "lorem", 2), read_of("lorem\nlorem")));
  EXPECT_TRUE(meets(expect(Kind::lines_with, "lorem", 1), read_of(" lorem \nipsum\n")));
  // head -n 1 and tail -n 1: a trailing newline ends the last line, it does not start one.
  EXPECT_TRUE(meets(expect(Kind::first_line_contains, "ipsum"), read_of("ipsum\nlorem\n")));
  EXPECT_FALSE(meets(expect(Kind::first_line_contains, "lorem"), read_of("ipsum\nlorem\n")));
  EXPECT_TRUE(meets(expect(Kind::last_line_contains, "lorem"), read_of("ipsum\nlorem\n")));
  EXPECT_FALSE(meets(expect(Kind::last_line_contains, "lorem"), read_of("")));
  // Substrings: a name with a space before it, or inside a longer word, is found.
  EXPECT_TRUE(meets(expect(Kind::contains, "lorem"), read_of(" xloremx\n")));
  EXPECT_TRUE(meets(expect(Kind::lacks, "ipsum"), read_of("lorem\n")));
  auto both = expect(Kind::contains);
  both.lines = {"lorem", "ipsum"};
  EXPECT_TRUE(meets(both, read_of("ipsum\nlorem\n")));
  EXPECT_FALSE(meets(both, read_of("lorem\n")));
  // kmgrade's own test of the lines: each without spaces around it.
  auto lines = expect(Kind::lines);
  lines.lines = {"b", "a"};
  EXPECT_TRUE(meets(lines, read_of(" b\na \n")));
  EXPECT_FALSE(meets(lines, read_of("a\nb\n")));
  EXPECT_FALSE(meets(lines, read_of("b\na\n\n")));
}

TEST(ScenarioTests, AFailedReadReadsAsNothingAndACallThatNeverReturnedMeetsNothing)
{
  const auto eio = failed(StepKind::read, "EIO");
  // `cat f | grep x` fails and `cat f | wc -l` says 0 when cat fails.
  EXPECT_FALSE(meets(expect(Kind::contains, "lorem"), eio));
  EXPECT_TRUE(meets(expect(Kind::lacks, "lorem"), eio));
  EXPECT_TRUE(meets(expect(Kind::newlines, "", 0), eio));
  EXPECT_TRUE(meets(expect(Kind::fails), eio));
  EXPECT_FALSE(meets(expect(Kind::succeeds), eio));
  auto hung = read_of("");
  hung.timed_out = true;
  EXPECT_FALSE(meets(expect(Kind::newlines, "", 0), hung));
  EXPECT_FALSE(meets(expect(Kind::not_fails_with, "EIO"), hung));
  EXPECT_EQ(evaluate::unmet(expect(Kind::lacks, "x"), read_step(), hung, nullptr),
            "it never returned, so a shell would still be waiting");
}

TEST(ScenarioTests, AWriteSucceedsAsEchoDoesWhenAllItsBytesAreTaken)
{
  const UserStep write{StepKind::write, "/proc/list/management", "addf lorem\n", 4096, 2000};
  UserStepResult r;
  r.kind = StepKind::write;
  r.result = 11;
  EXPECT_TRUE(meets(expect(Kind::succeeds), r, write));
  r.result = 0;
  EXPECT_EQ(evaluate::unmet(expect(Kind::succeeds), write, r, nullptr),
            "a write that returns 0 makes echo write again for ever");
  r.result = 4;
  EXPECT_EQ(evaluate::unmet(expect(Kind::succeeds), write, r, nullptr), "only 4 of 11 bytes were taken");
  const auto eio = failed(StepKind::write, "EIO");
  EXPECT_TRUE(meets(expect(Kind::fails_with, "EIO"), eio, write));
  EXPECT_FALSE(meets(expect(Kind::fails_with, "EIO"), failed(StepKind::write, "EACCES"), write));
  EXPECT_FALSE(meets(expect(Kind::not_fails_with, "EIO"), eio, write));
  EXPECT_TRUE(meets(expect(Kind::not_fails_with, "EIO"), failed(StepKind::write, "EINVAL"), write));
}

namespace {

// A verdict of every check of `r` in which every test passes.
std::map<std::string, evaluate::Verdict> all_passed(const score::Rubric& r)
{
  std::map<std::string, evaluate::Verdict> verdicts;
  for (const auto& ex : r.exercises) {
    for (const auto& c : ex.checks) {
      evaluate::Verdict v{evaluate::Status::pass, "passed", {}, false, {}};
      for (const auto& t : c.tests) {
        v.tests.push_back({t.name, t.printed_as, t.points, evaluate::Status::pass, "", t.official, t.official, ""});
      }
      verdicts[c.id] = v;
    }
  }
  return verdicts;
}

} // namespace

TEST(ScenarioTests, AChecksPointsAreSharedByItsPassedTestsAndTheCheckerScoreAddsUp)
{
  const auto r = score::load_rubric(k_lab);
  auto verdicts = all_passed(r);
  // add-one: addf_print_once fails, by both rules; mix_content fails kmgrade's rule only.
  auto& add_one = verdicts["list.add-one"];
  add_one.status = evaluate::Status::fail;
  add_one.tests[2].status = evaluate::Status::fail;
  add_one.tests[2].official_passed = false;
  auto& mix = verdicts["list.mix"];
  mix.status = evaluate::Status::fail;
  mix.tests[1].status = evaluate::Status::fail;
  // A check that did not run passes none of its tests, by either rule.
  verdicts["list.dela"] = {evaluate::Status::not_run, "not run", {}, false, {}};
  const auto s = score::apply_rubric(r, verdicts);
  ASSERT_TRUE(s.official.has_value());
  EXPECT_DOUBLE_EQ(s.official->score, 90 - 2 - 14);
  EXPECT_EQ(s.official->failed.size(), 8u);
  EXPECT_EQ(s.official->failed.front(), "addf_print_once");
  // dela_two_number is printed by the checker as dela_one_number.
  EXPECT_EQ(std::count(s.official->failed.begin(), s.official->failed.end(), "dela_one_number"), 2);
  double add_one_points = 0;
  double mix_points = 0;
  for (const auto& ex : s.exercises) {
    for (const auto& c : ex.checks) {
      add_one_points += c.id == "list.add-one" ? c.points : 0;
      mix_points += c.id == "list.mix" ? c.points : 0;
    }
  }
  EXPECT_DOUBLE_EQ(add_one_points, 10);
  EXPECT_DOUBLE_EQ(mix_points, 3);
  EXPECT_DOUBLE_EQ(s.score, 100 - 2 - 3 - 14);
}

TEST(ScenarioTests, TheCourseCheckerGetsNothingPastATestItWouldNeverGetPast)
{
  const auto r = score::load_rubric(k_lab);
  auto verdicts = all_passed(r);
  // A write of addf_no_error that returns 0: echo writes again for ever, and the checker's
  // later tests never run, while kmgrade's own verdicts of them stand.
  auto& first = verdicts["list.add-one"].tests[0];
  first.status = evaluate::Status::fail;
  first.official_passed = false;
  first.halts_checker =
    "load addf-lorem, step 1 (write \"/proc/list/management\") returned 0, so echo writes again for ever";
  const auto s = score::apply_rubric(r, verdicts);
  ASSERT_TRUE(s.official.has_value());
  EXPECT_DOUBLE_EQ(s.official->score, 8);
  EXPECT_EQ(s.official->failed.size(), 40u);
  EXPECT_EQ(s.official->halted_at, "addf_no_error: " + first.halts_checker);
  EXPECT_DOUBLE_EQ(s.score, 100 - 2);
}

namespace {

// A load of the list module named `name` whose steps gave `results`.
observe::ModuleRun list_run(const score::Rubric& r, const std::string& name, std::vector<UserStepResult> results)
{
  observe::ModuleRun run;
  run.request.module_name = "list";
  run.request.name = name;
  run.request.steps = r.module("list")->load(name)->steps;
  run.insmod = {true, true, 0, "", 1000, false};
  run.rmmod = {true, true, 0, "", 1000, false};
  run.steps = std::move(results);
  return run;
}

UserStepResult wrote(long long bytes)
{
  UserStepResult w;
  w.kind = StepKind::write;
  w.path = "/proc/list/management";
  w.result = bytes;
  return w;
}

// The evidence of a list.c that built, before any load came back.
evaluate::ModuleEvidence built_list()
{
  evaluate::ModuleEvidence e;
  e.module_id = "list";
  e.file = "list.c";
  e.found_at = "list.c";
  build::ModuleBuild b;
  b.ok = true;
  e.build = b;
  return e;
}

} // namespace

TEST(ScenarioTests, ATestWhoseLoadBrokeIsAnErrorAndCostsOnlyItself)
{
  const auto r = score::load_rubric(k_lab);
  auto e = built_list();
  // addf works and prints the name twice; adde's load never loaded.
  e.runs.push_back(list_run(r, "addf-lorem", {wrote(11), read_of("lorem\nlorem\n")}));
  auto broken = list_run(r, "adde-lorem", {});
  broken.insmod = {true, false, 12, "Cannot allocate memory", 1000, false};
  e.runs.push_back(broken);
  const auto v = pipeline::run_check(r, e, 4096, "list.add-one");
  EXPECT_EQ(v.status, evaluate::Status::error);
  ASSERT_EQ(v.tests.size(), 6u);
  EXPECT_EQ(v.tests[0].status, evaluate::Status::pass);
  EXPECT_EQ(v.tests[1].status, evaluate::Status::pass);
  EXPECT_EQ(v.tests[2].status, evaluate::Status::fail);
  EXPECT_EQ(v.tests[2].message,
            "load addf-lorem, step 2 (read \"/proc/list/preview\") read \"lorem\\nlorem\\n\" (12 byte(s)); the test "
            "wants one that has 1 line(s) holding \"lorem\" (2 line(s) hold it)");
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(v.tests[i].status, evaluate::Status::error) << v.tests[i].name;
    EXPECT_FALSE(v.tests[i].halts_checker.empty()) << v.tests[i].name;
  }
  EXPECT_NE(v.message.find("4 of 6 test(s) could not be decided or fail: addf_print_once, adde_no_error"),
            std::string::npos)
    << v.message;
  auto verdicts = all_passed(r);
  verdicts["list.add-one"] = v;
  EXPECT_DOUBLE_EQ(score::apply_rubric(r, verdicts).score, 100 - 8);
}

// The checker loads the module afresh for each test: once a load left /proc/list behind,
// its next insmod fails and it exits, with only what it scored up to then.
TEST(ScenarioTests, ALoadThatLeftItsFilesBehindEndsTheCheckersRunAfterItsTest)
{
  const auto r = score::load_rubric(k_lab);
  auto e = built_list();
  const auto* interface = r.module("list")->load("interface");
  ASSERT_NE(interface, nullptr);
  std::vector<UserStepResult> results;
  for (const auto& step : interface->steps) {
    UserStepResult got;
    got.kind = step.kind;
    got.path = step.path;
    got.result = 0;
    results.push_back(got);
  }
  results[0].type = "dir";
  auto run = list_run(r, "interface", results);
  run.left_behind = {"/proc/list"};
  e.runs.push_back(run);
  const auto v = pipeline::run_check(r, e, 4096, "list.interface");
  ASSERT_FALSE(v.tests.empty());
  EXPECT_EQ(v.tests[0].name, "module_exists");
  EXPECT_EQ(v.tests[0].halts_checker,
            "load interface left /proc/list behind after rmmod, so the next insmod fails and the checker exits");
  auto verdicts = all_passed(r);
  verdicts["list.interface"] = v;
  const auto s = score::apply_rubric(r, verdicts);
  ASSERT_TRUE(s.official.has_value());
  EXPECT_TRUE(v.tests[0].official_passed);
  EXPECT_DOUBLE_EQ(s.official->score, 1);
  EXPECT_EQ(s.official->halted_at, "module_exists: " + v.tests[0].halts_checker);
}
