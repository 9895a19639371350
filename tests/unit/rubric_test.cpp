#include "score/rubric.h"
#include "score/score.h"
#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>

using namespace kmgrade;
namespace fs = std::filesystem;

namespace {

nlohmann::json lab5()
{
  return nlohmann::json::parse(util::read_file(KMGRADE_RUBRIC));
}

// The Lab 5 file changed by `edit`, parsed as if read from rubric/<name>.
score::Rubric parse_edited(const std::function<void(nlohmann::json&)>& edit, const std::string& name)
{
  auto j = lab5();
  edit(j);
  return score::parse_rubric(j.dump(2), (fs::path(KMGRADE_RUBRIC).parent_path() / name).string());
}

// The message of the error parse_edited throws, without the "invalid rubric <path>: " it starts with.
std::string refusal(const std::function<void(nlohmann::json&)>& edit)
{
  try {
    parse_edited(edit, "edited.json");
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string prefix =
      "invalid rubric " + (fs::path(KMGRADE_RUBRIC).parent_path() / "edited.json").string() + ": ";
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << what;
    return what.substr(std::min(prefix.size(), what.size()));
  }
  ADD_FAILURE() << "accepted";
  return "";
}

nlohmann::json& check_entry(nlohmann::json& j, const std::string& id)
{
  for (auto& ex : j["exercises"]) {
    for (auto& c : ex["checks"]) {
      if (c["id"] == id) {
        return c;
      }
    }
  }
  throw std::runtime_error("no check " + id);
}

} // namespace

TEST(Rubric, DefaultLab5RubricSumsToEight)
{
  auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_EQ(r.id, "lab5");
  EXPECT_DOUBLE_EQ(r.max_score, 8.0);
  EXPECT_DOUBLE_EQ(r.auto_max() + r.manual_max(), 8.0);
  EXPECT_EQ(r.modules.size(), 3u);
  EXPECT_EQ(r.sha256.size(), 64u);
  ASSERT_NE(r.module("page_alloc"), nullptr);
  EXPECT_NE(r.module("page_alloc")->module_name, "page_alloc"); // built-in mm/page_alloc.c owns that name
  EXPECT_EQ(r.reference_dir, fs::path(KMGRADE_REFERENCE).lexically_normal());
}

TEST(Rubric, ParametersAreTypedAndEachLoadGivesThemAsInsmodTakesThem)
{
  const auto r = score::load_rubric(KMGRADE_RUBRIC);
  ASSERT_EQ(r.params.size(), 1u);
  EXPECT_EQ(r.params[0].name, "objnum");
  EXPECT_EQ(r.params[0].type, "uint");
  EXPECT_EQ(r.params[0].default_value, "2000");
  const auto& loads = r.module("page_alloc")->loads;
  ASSERT_EQ(loads.size(), 9u);
  EXPECT_EQ(score::params_text(loads[0].params), "");
  EXPECT_EQ(score::params_text(loads[1].params), "objnum=100");
  EXPECT_EQ(score::params_text({{"a", "1"}, {"b", "x"}}), "a=1 b=x");
  EXPECT_EQ(r.facts.at("struct_size"), 32);
  EXPECT_EQ(r.printed,
            (std::vector<std::pair<std::string, unsigned long long>>{{"objnum", 2000}, {"the struct size", 32}}));

  EXPECT_EQ(refusal([](auto& j) { j["modules"][0]["loads"][1]["objnum"] = -1; }),
            "modules.page_alloc.loads: objnum must be a non-negative whole number (uint)");
  EXPECT_EQ(refusal([](auto& j) {
              j["modules"][0]["loads"][1] = {{"objnums", 1}};
            }),
            "modules.page_alloc.loads: objnums is not a parameter the lab declares in params");
  EXPECT_EQ(refusal([](auto& j) { j["params"][0]["type"] = "unsigned"; }),
            "params.objnum.type is unsigned; it must be one of uint, int, ulong, long, ushort, short, bool, charp");
  EXPECT_EQ(refusal([](auto& j) { j["params"][0]["default"] = "2000"; }),
            "params.objnum.default must be a non-negative whole number (uint)");
  EXPECT_EQ(refusal([](auto& j) {
              j["params"].push_back({{"name", "objnum"}, {"type", "int"}, {"default", 1}});
            }),
            "params: objnum is declared twice");
  const auto with_name = parse_edited(
    [](auto& j) {
      j["params"].push_back({{"name", "name"}, {"type", "charp"}, {"default", "ada"}});
    },
    "name.json");
  EXPECT_EQ(with_name.params[1].default_value, "ada");
  EXPECT_EQ(refusal([](auto& j) {
              j["params"].push_back({{"name", "name"}, {"type", "charp"}, {"default", "a b"}});
            }),
            "params.name.default must be a string without spaces or quotes");
}

TEST(Rubric, TheParameterChecksNeedWhatTheyRead)
{
  EXPECT_EQ(refusal([](auto& j) { j["modules"][0]["loads"].erase(1); }),
            "check page_alloc.param-100 needs a load with objnum=100 alone in modules.page_alloc.loads");
  EXPECT_EQ(refusal([](auto& j) {
              j.erase("params");
              j.erase("printed");
              j["timing"]["values"] = nlohmann::json::array();
              j["timing"]["report_values"] = nlohmann::json::array();
              for (auto& m : j["modules"]) {
                m["loads"] = nlohmann::json::array({nlohmann::json::object()});
              }
            }),
            "check page_alloc.param needs the lab's first parameter (params), with a numeric default");
  EXPECT_EQ(
    refusal([](auto& j) { j["timing"]["param"] = "count"; }),
    "timing.param must name a parameter of type uint or ulong the lab declares in params, to be given the values in timing.values");
  EXPECT_EQ(refusal([](auto& j) { j["printed"][1]["fact"] = "size"; }),
            "printed: \"the struct size\" names fact \"size\", which is not a non-negative number in facts");
}

TEST(Rubric, WhatTheLabAllocatesIsTracedAndNamedAsEvents)
{
  const auto lab = parse_edited([](auto&) {}, "lab5.json");
  ASSERT_EQ(lab.allocations.size(), 3u);
  EXPECT_EQ(lab.allocations[0].alloc, "mm_page_alloc");
  EXPECT_EQ(lab.allocations[0].free, "mm_page_free");
  EXPECT_EQ(lab.allocations[0].key, "pfn");
  EXPECT_TRUE(lab.allocations[0].by_thread);
  EXPECT_FALSE(lab.allocations[1].by_thread);
  EXPECT_EQ(lab.activity_events.front(), "kmem:kmalloc");
  ASSERT_EQ(lab.foreign_events.size(), 1u);
  EXPECT_EQ(lab.foreign_events[0].fields.at("order"), std::vector<std::string>{"2"});

  EXPECT_EQ(refusal([](auto& j) { j["trace"]["events"].erase(0); }),
            "trace.allocations.alloc: kmem:kmalloc is not in trace.events, so it is never seen");
  EXPECT_EQ(
    refusal([](auto& j) { j["trace"]["allocations"][0]["owner"] = "module"; }),
    "trace.allocations: owner is module; it must be call_site (the event names the module's code) or thread (made in the module's thread)");
  EXPECT_EQ(refusal([](auto& j) { j["trace"]["activity"][0] = "kmalloc"; }),
            "trace.activity: \"kmalloc\" is not an event as subsystem:name (kmem:kmalloc)");
  EXPECT_EQ(refusal([](auto& j) { j["trace"].erase("allocations"); }),
            "check page_alloc.no-leak needs trace.allocations: the events that allocate and free");
}

TEST(Rubric, AFieldOfTheWrongTypeOrMissingIsNamedByItsPath)
{
  EXPECT_EQ(refusal([](auto& j) { j["exercises"][1]["checks"][0]["points"] = "0.25"; }),
            "exercises[1].checks[0].points: type must be number, but is string");
  EXPECT_EQ(refusal([](auto& j) { j["modules"][2].erase("file"); }), "modules[2].file is missing");
  EXPECT_EQ(refusal([](auto& j) { j["timing"]["max_ratio"] = "twenty"; }),
            "timing.max_ratio: type must be number, but is string");
  EXPECT_EQ(refusal([](auto& j) { j["trace"]["allocations"][1].erase("key"); }), "trace.allocations[1].key is missing");
}

TEST(Rubric, ALabsOwnChecksAreNamedAndOnlyThenAvailable)
{
  EXPECT_EQ(refusal([](auto& j) { j["lab_checks"] = "lab6"; }),
            "lab_checks is lab6, and kmgrade has checks of their own for these labs only: lab5, so2-list");
  EXPECT_EQ(
    refusal([](auto& j) { j.erase("lab_checks"); }),
    "check page_alloc.struct-size is not a check kmgrade has for module page_alloc (README, \"Writing a lab\", lists the checks)");
}

TEST(Rubric, TheReferenceIsAFolderRelativeToTheLabFile)
{
  EXPECT_EQ(parse_edited([](auto& j) { j["reference"] = "ref"; }, "x.json").reference_dir,
            fs::path(KMGRADE_RUBRIC).parent_path() / "ref");
  EXPECT_EQ(refusal([](auto& j) { j["reference"] = ""; }),
            "reference must name the folder of the reference solution, relative to the rubric");
}

TEST(Rubric, SimilarityThresholdFromItsBlockOrSixty)
{
  EXPECT_EQ(parse_edited([](auto&) {}, "lab5.json").similarity_threshold, 75);
  EXPECT_EQ(parse_edited([](auto& j) { j["similarity"] = {{"threshold", 70}}; }, "70.json").similarity_threshold, 70);
  EXPECT_EQ(parse_edited([](auto& j) { j.erase("similarity"); }, "none.json").similarity_threshold, 60);
  EXPECT_EQ(refusal([](auto& j) {
              j["similarity"] = {{"threshold", 0}};
            }),
            "similarity.threshold must be a percent from 1 to 100");
}

TEST(Rubric, SimilarityMinRunFromItsBlockOrSimCsDefault)
{
  EXPECT_EQ(parse_edited([](auto&) {}, "lab5.json").similarity_min_run, 16);
  EXPECT_EQ(parse_edited([](auto& j) { j["similarity"] = {{"threshold", 60}}; }, "absent.json").similarity_min_run, 24);
  EXPECT_EQ(parse_edited(
              [](auto& j) {
                j["similarity"] = {{"threshold", 60}, {"min_run", 12}};
              },
              "12.json")
              .similarity_min_run,
            12);
  EXPECT_EQ(parse_edited([](auto& j) { j.erase("similarity"); }, "none.json").similarity_min_run, 24);
  for (int bad : {1, 201, -3}) {
    EXPECT_EQ(refusal([bad](auto& j) {
                j["similarity"] = {{"threshold", 60}, {"min_run", bad}};
              }),
              "similarity.min_run must be a number of tokens from 2 to 200");
  }
  EXPECT_THROW(parse_edited(
                 [](auto& j) {
                   j["similarity"] = {{"threshold", 60}, {"min_run", "16"}};
                 },
                 "text.json"),
               Error);
}

TEST(Rubric, RejectsPointsThatDoNotAddUp)
{
  EXPECT_EQ(refusal([](auto& j) { j["max_score"] = 9.0; }).rfind("points add up to 8", 0), 0u);
}

TEST(Rubric, RejectsACheckOfAnUnknownModule)
{
  EXPECT_EQ(refusal([](auto& j) { check_entry(j, "page_alloc.order")["id"] = "page_aloc.order"; }),
            "check page_aloc.order names no module of the rubric");
}

TEST(Rubric, RejectsACheckKmgradeDoesNotHaveWhenLoaded)
{
  EXPECT_EQ(
    refusal([](auto& j) { check_entry(j, "page_alloc.order")["id"] = "page_alloc.ordr"; }),
    "check page_alloc.ordr is not a check kmgrade has for module page_alloc (README, \"Writing a lab\", lists the checks)");
  // A check of one module is not a check of another.
  EXPECT_EQ(
    refusal([](auto& j) { check_entry(j, "kmem_alloc.loop")["id"] = "kmem_alloc.order"; }),
    "check kmem_alloc.order is not a check kmgrade has for module kmem_alloc (README, \"Writing a lab\", lists the checks)");
}

TEST(Rubric, TheReportsValuesAreTimedOnesAndDefaultToAllOfThem)
{
  const auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_EQ(r.timing.report_values, (std::vector<unsigned>{1000, 2000, 4000})) << "Exercises 3 to 5 ask for these";
  EXPECT_EQ(parse_edited([](auto& j) { j["timing"].erase("report_values"); }, "plain.json").timing.report_values,
            r.timing.values);
  EXPECT_EQ(refusal([](auto& j) {
              j["timing"]["report_values"] = {1000, 3000};
            }),
            "timing.report_values holds 3000, which is not in timing.values (only those are timed)");
}

TEST(Score, PointsFollowVerdictsAndSumUp)
{
  auto r = score::load_rubric(KMGRADE_RUBRIC);
  std::map<std::string, evaluate::Verdict> verdicts;
  for (const auto& ex : r.exercises) {
    for (const auto& c : ex.checks) {
      if (!c.manual) {
        verdicts[c.id] = {evaluate::Status::pass, "ok", {}, false, {}};
      }
    }
  }
  verdicts["page_alloc.order"].status = evaluate::Status::fail;
  verdicts["kmem_alloc.loop"].on_shimmed_build = true;
  r.points_on_shimmed_build = 0.5;
  auto s = score::apply_rubric(r, verdicts);
  EXPECT_DOUBLE_EQ(s.score, r.auto_max() - 0.5 - 0.25);
  double sum = 0;
  for (const auto& ex : s.exercises) {
    double ex_sum = 0;
    for (const auto& c : ex.checks) {
      ex_sum += c.points;
      EXPECT_LE(c.points, c.max_points);
      if (c.id.rfind("manual.", 0) == 0) {
        EXPECT_EQ(c.verdict.status, evaluate::Status::manual);
      }
    }
    EXPECT_DOUBLE_EQ(ex.score, ex_sum);
    sum += ex.score;
  }
  EXPECT_DOUBLE_EQ(s.score, sum);
  EXPECT_DOUBLE_EQ(s.manual_pending, r.manual_max());
}

TEST(Score, AMissingVerdictIsAnError)
{
  auto r = score::load_rubric(KMGRADE_RUBRIC);
  EXPECT_THROW(score::apply_rubric(r, {}), Error);
}

namespace {

// The hello lab's file changed by `edit`: what parse_rubric says of it, without the
// "invalid rubric <path>: " it starts with; "" when it accepts it.
std::string hello_refusal(const std::function<void(nlohmann::json&)>& edit)
{
  const std::string origin = KMGRADE_TEST_DATA "/labs/hello/edited.json";
  auto j = nlohmann::json::parse(util::read_file(KMGRADE_TEST_DATA "/labs/hello/hello.json"));
  edit(j);
  try {
    score::parse_rubric(j.dump(2), origin);
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string prefix = "invalid rubric " + origin + ": ";
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << what;
    return what.substr(std::min(prefix.size(), what.size()));
  }
  return "";
}

nlohmann::json& echo_load(nlohmann::json& j)
{
  return j["modules"][0]["loads"][2];
}

} // namespace

TEST(Rubric, ALoadMayCarryStepsUnderAName)
{
  const auto r = score::load_rubric(KMGRADE_TEST_DATA "/labs/hello/hello.json");
  const auto& loads = r.module("hello")->loads;
  ASSERT_EQ(loads.size(), 3u);
  EXPECT_TRUE(loads[0].name.empty() && loads[0].steps.empty());
  EXPECT_EQ(score::params_text(loads[1].params), "count=5");
  const auto* echo = r.module("hello")->load("echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_TRUE(echo->params.empty());
  ASSERT_EQ(echo->steps.size(), 5u);
  EXPECT_EQ(echo->steps[0].kind, observe::StepKind::stat);
  EXPECT_EQ(echo->steps[1].kind, observe::StepKind::write);
  EXPECT_EQ(echo->steps[1].path, "/proc/hello_msg");
  EXPECT_EQ(echo->steps[1].data, "hello\n");
  EXPECT_EQ(echo->steps[1].timeout_ms, 2000);
  EXPECT_EQ(echo->steps[2].max_bytes, 4096u);
  EXPECT_EQ(echo->steps[4].max_bytes, 4u);
  EXPECT_EQ(r.exercises[1].checks[0].compare, score::CompareMode::lines);
  EXPECT_EQ(r.exercises[0].checks[0].compare, score::CompareMode::exact);

  EXPECT_EQ(hello_refusal([](auto& j) {
              echo_load(j)["params"] = {{"count", 7}};
              echo_load(j)["steps"][0]["timeout_ms"] = 500;
            }),
            "");
  EXPECT_EQ(hello_refusal([](auto& j) {
              echo_load(j)["params"] = {{"count", -7}};
            }),
            "modules.hello.loads.echo.params: count must be a non-negative whole number (uint)");
  EXPECT_EQ(hello_refusal([](auto& j) { echo_load(j)["params"] = 5; }),
            "modules.hello.loads.echo.params must be an object of parameter values");
  EXPECT_EQ(hello_refusal([](auto& j) { echo_load(j)["count"] = 5; }),
            "modules.hello.loads: count is not a field of a load with steps (name, params, steps)");
  EXPECT_EQ(hello_refusal([](auto& j) { echo_load(j).erase("name"); }),
            "modules.hello.loads: a load with steps needs a name of lower-case letters, digits, _ and - (its check is "
            "<module>.transcript-<name>)");
  EXPECT_EQ(hello_refusal([](auto& j) { echo_load(j)["name"] = "Echo 1"; }),
            "modules.hello.loads: a load with steps needs a name of lower-case letters, digits, _ and - (its check is "
            "<module>.transcript-<name>)");
  EXPECT_EQ(hello_refusal([](auto& j) { j["modules"][0]["loads"].push_back(echo_load(j)); }),
            "modules.hello.loads: two loads are named echo");
  EXPECT_EQ(hello_refusal([](auto& j) {
              j["params"].push_back({{"name", "steps"}, {"type", "uint"}, {"default", 1}});
            }),
            "params: steps cannot be a parameter's name: a load that holds steps is a load with steps");
}

TEST(Rubric, EachStepIsCheckedWhenTheLabIsLoaded)
{
  auto step = [](nlohmann::json value) { return [value](nlohmann::json& j) { echo_load(j)["steps"][1] = value; }; };
  EXPECT_EQ(hello_refusal([](auto& j) { echo_load(j)["steps"] = nlohmann::json::array(); }),
            "modules.hello.loads.echo.steps must be a list of 1 to 256 steps");
  EXPECT_EQ(hello_refusal(step("write")),
            "modules.hello.loads.echo.steps[1] must be an object: {\"write\": PATH, \"data\": TEXT}, {\"read\": PATH} "
            "or {\"stat\": PATH}");
  EXPECT_EQ(hello_refusal(step({{"write", "/proc/hello_msg"}, {"read", "/proc/hello_msg"}, {"data", "x"}})),
            "modules.hello.loads.echo.steps[1] must hold exactly one of write, read and stat, the path it acts on");
  EXPECT_EQ(hello_refusal(step({{"cat", "/proc/hello_msg"}})),
            "modules.hello.loads.echo.steps[1] must hold exactly one of write, read and stat, the path it acts on");
  EXPECT_EQ(hello_refusal(step({{"read", "proc/hello_msg"}})),
            "modules.hello.loads.echo.steps[1].read must be an absolute path in the sandbox");
  EXPECT_EQ(
    hello_refusal(step({{"write", "/proc/hello_msg"}})),
    "modules.hello.loads.echo.steps[1].data must be the text to write, at most 1048576 bytes (\"addf lorem\\n\")");
  EXPECT_EQ(
    hello_refusal(step({{"write", "/proc/hello_msg"}, {"data", 5}})),
    "modules.hello.loads.echo.steps[1].data must be the text to write, at most 1048576 bytes (\"addf lorem\\n\")");
  EXPECT_EQ(hello_refusal(step({{"read", "/proc/hello_msg"}, {"data", "x"}})),
            "modules.hello.loads.echo.steps[1]: data is not a field of a read step");
  EXPECT_EQ(hello_refusal(step({{"stat", "/proc/hello_msg"}, {"max_bytes", 5}})),
            "modules.hello.loads.echo.steps[1]: max_bytes is not a field of a stat step");
  EXPECT_EQ(hello_refusal(step({{"read", "/proc/hello_msg"}, {"max_bytes", 0}})),
            "modules.hello.loads.echo.steps[1].max_bytes must be a number of bytes from 1 to 1048576");
  EXPECT_EQ(hello_refusal(step({{"read", "/proc/hello_msg"}, {"timeout_ms", 600000}})),
            "modules.hello.loads.echo.steps[1].timeout_ms must be a number of milliseconds from 1 to 60000");
  EXPECT_EQ(hello_refusal(step({{"read", "/proc/hello_msg"}, {"timeout_ms", "2s"}})),
            "modules.hello.loads.echo.steps[1].timeout_ms must be a number of milliseconds from 1 to 60000");
}

TEST(Rubric, WhatTheModuleMustRemoveAndWhichOfItsCallsToSee)
{
  const auto r = score::load_rubric(KMGRADE_TEST_DATA "/labs/hello/hello.json");
  EXPECT_EQ(r.module("hello")->removes, std::vector<std::string>{"/proc/hello_msg"});
  EXPECT_EQ(r.module_calls, (std::vector<std::string>{"mutex_lock", "mutex_unlock"}));
  EXPECT_TRUE(parse_edited([](auto&) {}, "lab5.json").module_calls.empty()) << "both fields may be left out";

  EXPECT_EQ(hello_refusal([](auto& j) { j["modules"][0]["removes"] = "/proc/hello_msg"; }),
            "modules.hello.removes must be a list of paths (\"/proc/list\")");
  for (const char* path : {"proc/hello_msg", "/", "/proc/hello_msg/", "/proc/../hello_msg", "/proc/./hello_msg"}) {
    EXPECT_EQ(hello_refusal([path](auto& j) {
                j["modules"][0]["removes"] = {"/proc/list", path};
              }),
              "modules.hello.removes[1] must be an absolute path in the sandbox, without . or .. parts or a / at its "
              "end")
      << path;
  }
  EXPECT_EQ(
    hello_refusal([](auto& j) { j["modules"][0]["removes"] = {5}; }),
    "modules.hello.removes[0] must be an absolute path in the sandbox, without . or .. parts or a / at its end");

  EXPECT_EQ(hello_refusal([](auto& j) { j["trace"]["module_calls"] = {"_raw_spin_lock", "foo.constprop.0"}; }), "");
  EXPECT_EQ(hello_refusal([](auto& j) { j["trace"]["module_calls"] = "mutex_lock"; }),
            "trace.module_calls must be a list of function names ([\"mutex_lock\"])");
  for (const char* name : {"", "mutex lock", "0day", "[kmlab_hello]", "mutex_lock\n"}) {
    EXPECT_EQ(hello_refusal([name](auto& j) { j["trace"]["module_calls"][1] = name; }),
              "trace.module_calls[1]: \"" + std::string(name) +
                "\" is not the name of a kernel function (letters, digits, _ and .)")
      << name;
  }
  EXPECT_EQ(hello_refusal([](auto& j) { j["trace"]["module_calls"][1] = 7; }),
            "trace.module_calls[1]: type must be string, but is number");
  EXPECT_EQ(hello_refusal([](auto& j) { j["trace"]["module_calls"][1] = "mutex_lock"; }),
            "trace.module_calls: mutex_lock is named twice");
}

TEST(Rubric, ATranscriptCheckNamesALoadWithStepsAndHowToCompare)
{
  auto transcript = [](nlohmann::json& j) -> nlohmann::json& { return j["exercises"][1]["checks"][0]; };
  EXPECT_EQ(
    hello_refusal([&](auto& j) { transcript(j)["id"] = "hello.transcript-cat"; }),
    "check hello.transcript-cat compares the steps of a load named cat, and modules.hello.loads has no load with "
    "that name and steps");
  EXPECT_EQ(hello_refusal([&](auto& j) { transcript(j)["compare"] = "fuzzy"; }),
            "check hello.transcript-echo: compare is \"fuzzy\"; it must be exact, lines or substring");
  EXPECT_EQ(hello_refusal([&](auto& j) {
              transcript(j)["compare"] = "lines";
              j["exercises"][0]["checks"][0]["compare"] = "lines";
            }),
            "check hello.build: compare is only for transcript checks");
  EXPECT_EQ(hello_refusal([&](auto& j) { transcript(j)["compare"] = "substring"; }), "");
  EXPECT_EQ(hello_refusal([&](auto& j) { transcript(j).erase("compare"); }), "");
}
