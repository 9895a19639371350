// Similarity across a class: the pairs, the clusters, sim_c's output read back, what is
// removed before comparing, the cache, the side-by-side view and the CSV.

#include "batch/batch.h"
#include "score/rubric.h"
#include "similarity/grouping.h"
#include "similarity/normalise.h"
#include "similarity/pair_cache.h"
#include "similarity/side_by_side.h"
#include "similarity/sim_c_output.h"
#include "similarity/similarity.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

#include "temp_folder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

namespace fs = std::filesystem;
using namespace kmgrade;
using namespace kmgrade::similarity;

namespace {

const fs::path k_data = fs::path(KMGRADE_TEST_DATA) / "similarity";
const fs::path k_samples = KMGRADE_SAMPLES;

PairScore flagged(const std::string& module, const std::string& a, const std::string& b, int percent)
{
  return {module, a, b, percent, true, ""};
}

} // namespace

TEST(SimilarityPairs, EveryPairOnceInOrderThenCorpus)
{
  const auto pairs = list_pairs("page_alloc", {"103", "101", "102"}, {"2024/page_alloc.c"});
  ASSERT_EQ(pairs.size(), 3u + 3u);
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_LT(pairs[i].student_a, pairs[i].student_b);
    EXPECT_EQ(pairs[i].module, "page_alloc");
    EXPECT_TRUE(seen.insert({pairs[i].student_a, pairs[i].student_b}).second);
  }
  EXPECT_EQ(pairs[0].student_a, "101");
  EXPECT_EQ(pairs[0].student_b, "102");
  EXPECT_EQ(pairs[2].student_a, "102");
  EXPECT_EQ(pairs[2].student_b, "103");
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(pairs[i].student_b, "corpus:2024/page_alloc.c");
  }
  EXPECT_EQ(pairs[3].student_a, "101");
  EXPECT_TRUE(list_pairs("page_alloc", {"101"}, {}).empty());
}

TEST(SimilarityClusters, ConnectedComponentsPerModuleLargestFirst)
{
  std::vector<PairScore> pairs = {
    flagged("page_alloc", "101", "104", 97), flagged("page_alloc", "104", "107", 70),
    flagged("page_alloc", "102", "103", 99), {"page_alloc", "101", "102", 40, false, ""},
    flagged("kmem_alloc", "101", "102", 80), // the same students, another module: its own cluster
  };
  const auto clusters = cluster_pairs(pairs);
  ASSERT_EQ(clusters.size(), 3u);
  EXPECT_EQ(clusters[0].module, "page_alloc");
  EXPECT_EQ(clusters[0].students, (std::vector<std::string>{"101", "104", "107"}));
  EXPECT_EQ(clusters[0].max_percent, 97);
  EXPECT_EQ(clusters[1].students, (std::vector<std::string>{"102", "103"}));
  EXPECT_EQ(clusters[1].max_percent, 99);
  EXPECT_EQ(clusters[2].module, "kmem_alloc");
  EXPECT_EQ(clusters[2].students, (std::vector<std::string>{"101", "102"}));
  EXPECT_TRUE(cluster_pairs({{"page_alloc", "1", "2", 59, false, ""}}).empty());
}

TEST(SimilarityParse, PercentagesOfRecordedOutput)
{
  const auto found = parse_percentages(util::read_file(k_data / "sim_c-p.txt"));
  ASSERT_EQ(found.size(), 6u);
  EXPECT_EQ(found[0].file, "c.c");
  EXPECT_EQ(found[0].of, "b.c");
  EXPECT_EQ(found[0].percent, 39);
  EXPECT_EQ(found[5].file, "a.c");
  EXPECT_EQ(found[5].of, "c.c");
  EXPECT_EQ(found[5].percent, 7);
  // Headers, blank lines, a name with spaces, and lines that only look alike.
  const auto odd = parse_percentages("File x.c: 3 tokens\n\nmy file.c consists for 100 % of other file.c material\r\n"
                                     "consists for 5 % of\nf1.c consists for lots % of f2.c material\n");
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].file, "my file.c");
  EXPECT_EQ(odd[0].of, "other file.c");
  EXPECT_EQ(odd[0].percent, 100);
}

TEST(SimilarityParse, RunsOfRecordedOutputEitherOrder)
{
  const auto all = parse_all_runs(util::read_file(k_data / "sim_c-n.txt"));
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all.count({"a.c", "b.c"}), 1u);
  const auto& runs = all.at({"a.c", "b.c"});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].a_first, 44);
  EXPECT_EQ(runs[0].a_last, 53);
  EXPECT_EQ(runs[0].b_first, 32);
  EXPECT_EQ(runs[0].b_last, 41);
  // Kept under the pair's key, the runs come back for either file first.
  Cache cache;
  cache[cache_key("a-sha256", "b-sha256")] = {90, runs};
  const auto swapped = cached_runs(cache, "b-sha256", "a-sha256");
  ASSERT_EQ(swapped.size(), 2u);
  EXPECT_EQ(swapped[0].a_first, 32);
  EXPECT_EQ(swapped[0].b_first, 44);
  EXPECT_EQ(cached_runs(cache, "a-sha256", "b-sha256")[0].a_first, 44);
  EXPECT_EQ(all.count({"a.c", "c.c"}), 0u);
}

TEST(SimilarityNormalise, BoilerplateBecomesEmptyLinesKeepingLineNumbers)
{
  const std::string text = "#include <linux/module.h>\n"
                           "#define N \\\n  10\n"
                           "MODULE_LICENSE(\"GPL\");\n"
                           "MODULE_DESCRIPTION(\"a long\"\n   \"description\");\n"
                           "static int objnum = 2000;\n"
                           "module_param(objnum, int, 0444);\n"
                           "MODULE_PARM_DESC(objnum, \"n\");\r\n"
                           "int x(void) { return module_size; }\n"
                           "module_init(a_init);\n"
                           "module_exit(a_exit);\n";
  const auto out = normalise_source(text, {});
  EXPECT_EQ(out, "\n\n\n\n\n\nstatic int objnum = 2000;\n\n\nint x(void) { return module_size; }\n\n\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), std::count(text.begin(), text.end(), '\n'));
}

TEST(SimilarityNormalise, BaseLinesDoNotCount)
{
  const auto base = base_lines({"struct my_struct {\n\tunsigned int arr[8];\n};\n}\nreturn 0;\n"});
  EXPECT_EQ(base.count("unsigned int arr[8];"), 1u);
  EXPECT_EQ(base.count("struct my_struct {"), 1u);
  EXPECT_EQ(base.count("}"), 0u); // too short to mean anything
  EXPECT_EQ(base.count("return 0;"), 0u);
  const auto out = normalise_source("struct   my_struct {\n  unsigned int arr[8];\n};\nint y;\nreturn 0;\n", base);
  EXPECT_EQ(out, "\n\n};\nint y;\nreturn 0;\n");
}

TEST(SimilarityView, EscapesTheStudentsTextAndMarksRunsAlike)
{
  PairScore pair{"page_alloc", "101<b>", "corpus:x&y.c", 97, true, ""};
  const std::string a = "int a;\n</pre><script>alert(1)</script>\nint c;\n";
  const std::string b = "x\"y'\nint b;\n";
  const auto html = side_by_side_html(pair, a, b, {{2, 3, 1, 2}});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("</pre><script"), std::string::npos);
  EXPECT_NE(html.find("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("x&quot;y&#39;"), std::string::npos);
  EXPECT_NE(html.find("101&lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("corpus:x&amp;y.c"), std::string::npos);
  // Offline: nothing loaded from elsewhere.
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  // Lines 2-3 of a and 1-2 of b in the same colour: four marked rows.
  std::size_t marked = 0;
  for (auto at = html.find("<tr class=\"m0\">"); at != std::string::npos; at = html.find("<tr class=\"m0\">", at + 1)) {
    ++marked;
  }
  EXPECT_EQ(marked, 4u);
}

TEST(SimilarityCsv, HeaderAndOneRowPerPair)
{
  ClassSimilarity r;
  r.threshold = 60;
  r.min_run = 16;
  r.pairs = {{"page_alloc", "101", "104", 97, true, "similarity/page_alloc/101--104.html"},
             {"kmem_alloc", "101", "corpus:2024/a,b.c", 12, false, ""}};
  EXPECT_EQ(similarity_csv(r), "module,student_a,student_b,percent,flagged\n"
                               "page_alloc,101,104,97,yes\n"
                               "kmem_alloc,101,\"corpus:2024/a,b.c\",12,no\n");
  r.clusters = cluster_pairs(r.pairs);
  const auto j = to_json(r);
  EXPECT_EQ(j.at("threshold"), 60);
  EXPECT_EQ(j.at("min_run"), 16);
  ASSERT_EQ(j.at("pairs").size(), 2u);
  EXPECT_EQ(j.at("pairs")[0].at("view").get<std::string>(), r.pairs[0].view);
  ASSERT_EQ(j.at("clusters").size(), 1u);
  EXPECT_EQ(j.at("clusters")[0].at("students").get<std::vector<std::string>>(),
            (std::vector<std::string>{"101", "104"}));
}

class SimilarityClassTest : public TempFolderTest
{
protected:
  void SetUp() override
  {
    TempFolderTest::SetUp();
    if (util::find_program("sim_c").empty()) {
      GTEST_SKIP() << "sim_c (similarity-tester) is not installed";
    }
    m_options.threshold = 60;
    m_options.run_sim = [this](const std::vector<std::string>& argv, const fs::path& cwd) {
      ++m_runs;
      m_run_in.push_back(cwd.filename().string());
      util::ProcessOptions po;
      po.cwd = cwd;
      return util::run_process(argv, po);
    };
  }

  // Students 1 and 2 hand in the same files; 3 another solution.
  std::vector<StudentFiles> students() const
  {
    auto files = [](const std::string& sample) {
      StudentFiles f;
      for (const auto* m : {"page_alloc", "kmem_alloc"}) {
        f.modules[m] = k_samples / sample / (std::string(m) + ".c");
      }
      return f;
    };
    auto one = files("correct");
    one.id = "1";
    auto two = files("correct");
    two.id = "2";
    auto three = files("wrong-order");
    three.id = "3";
    return {one, two, three};
  }

  CompareOptions m_options;
  int m_runs = 0;
  std::vector<std::string> m_run_in; // the module of each run (sim_c's work folder)
};

TEST_F(SimilarityClassTest, ASecondRunOfTheSameFilesRunsNoSimC)
{
  const std::vector<std::string> modules = {"page_alloc", "kmem_alloc"};
  const auto first = compare_class(students(), modules, m_dir, m_options);
  EXPECT_GT(m_runs, 0);
  ASSERT_EQ(first.pairs.size(), 6u);
  EXPECT_EQ(first.pairs[0].student_a, "1");
  EXPECT_EQ(first.pairs[0].student_b, "2");
  EXPECT_EQ(first.pairs[0].percent, 100);
  EXPECT_TRUE(first.pairs[0].flagged);
  EXPECT_EQ(first.pairs[0].view, "similarity/page_alloc/1--2.html");
  EXPECT_TRUE(fs::exists(m_dir / first.pairs[0].view));
  EXPECT_TRUE(fs::exists(m_dir / "sources" / "3" / "kmem_alloc.c"));
  EXPECT_TRUE(fs::exists(m_dir / "similarity.csv"));
  ASSERT_EQ(first.clusters.size(), 2u);

  m_runs = 0;
  const auto second = compare_class(students(), modules, m_dir, m_options);
  EXPECT_EQ(m_runs, 0);
  EXPECT_EQ(similarity_csv(second), similarity_csv(first));
  const auto written = nlohmann::json::parse(util::read_file(m_dir / "similarity.json"));
  EXPECT_EQ(written, to_json(second));
  EXPECT_EQ(written.at("pairs").size(), 6u);

  // One student changes one file: only the pairs with it are compared again.
  auto changed = students();
  changed[2].modules["kmem_alloc"] = k_samples / "unpinned" / "kmem_alloc.c";
  m_run_in.clear();
  compare_class(changed, modules, m_dir, m_options);
  EXPECT_FALSE(m_run_in.empty());
  EXPECT_EQ(std::count(m_run_in.begin(), m_run_in.end(), "page_alloc"), 0);

  // A pair no longer flagged loses its view.
  changed[1].modules["page_alloc"] = k_samples / "class-extra" / "thompson" / "page_alloc.c";
  const auto apart = compare_class(changed, modules, m_dir, m_options);
  EXPECT_FALSE(apart.pairs[0].flagged);
  EXPECT_EQ(apart.pairs[0].view, "");
  EXPECT_FALSE(fs::exists(m_dir / "similarity" / "page_alloc" / "1--2.html"));
}

TEST_F(SimilarityClassTest, ACacheOfAnotherMinRunIsNotReused)
{
  const std::vector<std::string> modules = {"kmem_alloc"};
  std::vector<std::vector<std::string>> argvs;
  const auto record = m_options.run_sim;
  m_options.run_sim = [&](const std::vector<std::string>& argv, const fs::path& cwd) {
    argvs.push_back(argv);
    return record(argv, cwd);
  };
  m_options.min_run = 24;
  const auto at_24 = compare_class(students(), modules, m_dir, m_options);
  m_options.min_run = 8;
  argvs.clear();
  const auto at_8 = compare_class(students(), modules, m_dir, m_options);
  ASSERT_FALSE(argvs.empty()) << "percents of runs of 24 tokens were reused for 8";
  for (const auto& argv : argvs) {
    EXPECT_EQ(std::count(argv.begin(), argv.end(), "-r8"), 1) << "a sim_c run without -r8";
  }
  EXPECT_EQ(at_8.min_run, 8);
  EXPECT_EQ(nlohmann::json::parse(util::read_file(m_dir / "similarity.json")).at("min_run"), 8);
  ASSERT_EQ(at_8.pairs.size(), at_24.pairs.size());
  EXPECT_GT(at_8.pairs[1].percent, at_24.pairs[1].percent) << "correct and wrong-order: shorter runs find more";

  argvs.clear();
  compare_class(students(), modules, m_dir, m_options);
  EXPECT_TRUE(argvs.empty()) << "the same run size again compares nothing";
}

// rubric/lab5.json's similarity.min_run and threshold flag a copy whose thread function was
// split into helpers (which runs of 24 tokens miss), and no two solutions written apart.
TEST_F(SimilarityClassTest, TheLabsSettingFlagsASplitUpCopyAndNoIndependentSolution)
{
  const auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  const std::vector<std::string> modules = {"page_alloc", "kmem_alloc", "cache_alloc"};
  std::vector<StudentFiles> students;
  for (const auto& [id, folder] :
       std::vector<std::pair<std::string, fs::path>>{{"original", k_data / "split-up" / "original"},
                                                     {"copy", k_data / "split-up" / "copy"},
                                                     {"reference", KMGRADE_REFERENCE},
                                                     {"correct", k_samples / "correct"},
                                                     {"thompson", k_samples / "class-extra" / "thompson"},
                                                     {"booth", k_samples / "class-extra" / "booth"}}) {
    StudentFiles f{id, {}};
    for (const auto& m : modules) {
      if (fs::exists(folder / (m + ".c"))) {
        f.modules[m] = folder / (m + ".c");
      }
    }
    students.push_back(f);
  }
  const auto is_copy = [](const PairScore& p) { return p.student_a == "copy" && p.student_b == "original"; };

  m_options.threshold = rubric.similarity_threshold;
  m_options.min_run = rubric.similarity_min_run;
  const auto lab = compare_class(students, modules, m_dir / "lab", m_options);
  ASSERT_EQ(lab.pairs.size(), 27u); // 6 pairs in page_alloc and cache_alloc, 15 in kmem_alloc
  for (const auto& p : lab.pairs) {
    EXPECT_EQ(p.flagged, is_copy(p)) << p.module << " " << p.student_a << " " << p.student_b << ": " << p.percent
                                     << "% at -r" << rubric.similarity_min_run;
  }

  m_options.min_run = 24;
  const auto at_24 = compare_class(students, modules, m_dir / "24", m_options);
  const auto copy = std::find_if(at_24.pairs.begin(), at_24.pairs.end(), is_copy);
  ASSERT_NE(copy, at_24.pairs.end());
  EXPECT_FALSE(copy->flagged);
  EXPECT_LT(copy->percent, 60) << "runs of 24 tokens: not even flagged at 60%";
}

TEST_F(SimilarityClassTest, CorpusFilesByNameOrEveryModule)
{
  const fs::path corpus = m_dir / "corpus";
  fs::create_directories(corpus / "2024");
  fs::copy_file(k_samples / "correct" / "page_alloc.c", corpus / "2024" / "page_alloc.c");
  fs::copy_file(k_samples / "correct" / "kmem_alloc.c", corpus / "solution.c");
  m_options.corpus = corpus;
  const auto r = compare_class(students(), {"page_alloc", "kmem_alloc"}, m_dir / "out", m_options);
  std::vector<std::string> page_corpus;
  std::vector<std::string> kmem_corpus;
  for (const auto& p : r.pairs) {
    if (p.student_b.rfind("corpus:", 0) == 0) {
      (p.module == "page_alloc" ? page_corpus : kmem_corpus).push_back(p.student_a + " " + p.student_b);
      if (p.student_a == "1" && p.module == "kmem_alloc" && p.student_b == "corpus:solution.c") {
        EXPECT_EQ(p.percent, 100);
      }
    }
  }
  EXPECT_EQ(page_corpus.size(), 6u); // 2024/page_alloc.c and solution.c
  EXPECT_EQ(kmem_corpus.size(), 3u); // solution.c only
  EXPECT_NE(std::find(kmem_corpus.begin(), kmem_corpus.end(), "1 corpus:solution.c"), kmem_corpus.end());
}

TEST_F(SimilarityClassTest, ABaseFileMakesGivenCodeNoMatch)
{
  // Everything the students hand in was given: nothing is left to match.
  m_options.base_files = {k_samples / "correct" / "page_alloc.c"};
  const auto r = compare_class(students(), {"page_alloc"}, m_dir, m_options);
  ASSERT_FALSE(r.pairs.empty());
  EXPECT_EQ(r.pairs[0].student_b, "2");
  EXPECT_LT(r.pairs[0].percent, 60);
  EXPECT_FALSE(r.pairs[0].flagged);
}

namespace {

// PATH without sim_c for the life of the object.
class PathWithoutSimC
{
public:
  PathWithoutSimC()
  {
    if (const char* p = std::getenv("PATH")) {
      m_saved = p;
    }
    ::setenv("PATH", "/nonexistent", 1);
  }
  ~PathWithoutSimC() { ::setenv("PATH", m_saved.c_str(), 1); }
  PathWithoutSimC(const PathWithoutSimC&) = delete;
  PathWithoutSimC& operator=(const PathWithoutSimC&) = delete;

private:
  std::string m_saved;
};

} // namespace

class SimilarityBatchTest : public TempFolderTest
{
};

TEST_F(SimilarityBatchTest, AMissingSimCStopsItBeforeGradingWithHowToInstallIt)
{
  batch::BatchOptions options;
  options.input = k_samples / "class-download.zip";
  options.out_dir = m_dir / "out";
  options.grade.rubric = KMGRADE_RUBRIC;
  PathWithoutSimC no_sim_c;
  try {
    batch::run_batch(options);
    FAIL() << "a batch without sim_c started";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("install similarity-tester: sudo apt install similarity-tester, or pass "
                                         "--no-similarity"),
              std::string::npos)
      << e.what();
  }
  EXPECT_FALSE(fs::exists(m_dir / "out" / ".scratch")) << "the class was unpacked before the check";
  EXPECT_FALSE(fs::exists(m_dir / "out" / "reports" / "101.json"));
}
