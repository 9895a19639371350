// Grades a class whose folder, student folders and output folders have spaces, non-ASCII
// letters, ':' and '%' in their names, given relative to the folder kmgrade runs in (Kbuild
// runs in another), with the real kmgrade binary: every student gets the full verdicts.
//
//   e2e_paths KMGRADE SUBMISSION EXPECTED.json

#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace {

std::string g_kmgrade, g_submission, g_expected;

nlohmann::json read_json(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return nlohmann::json::parse(in);
}

TEST(EndToEndPaths, ARelativeOutAndNamesWithSpacesColonsPercentAndNonAsciiLettersGradeInFull)
{
  const fs::path base = fs::temp_directory_path() / ("kmgrade-e2e-paths-" + std::to_string(::getpid()));
  fs::remove_all(base);
  const fs::path class_dir = "Lab 5: Åsa's class 100%";
  const fs::path handed_in = "lab 5: final 100%";
  // Participant id -> folder: Moodle's form, and a folder named freely, whose name is then
  // the student's id and so part of the grade's scratch and build paths.
  const std::map<std::string, std::string> folders = {
    {"101", "Åsa Ödegård_101_assignsubmission_file_"},
    {"Zoë 50%: Ünal", "Zoë 50%: Ünal"},
  };
  for (const auto& [id, folder] : folders) {
    fs::create_directories(base / class_dir / folder / handed_in);
    fs::copy(g_submission, base / class_dir / folder / handed_in, fs::copy_options::recursive);
  }
  const fs::path out = "grades: Åsa 100%/out";
  const fs::path gradescope = "grades: Åsa 100%/gradescope";

  kmgrade::util::ProcessOptions opts;
  opts.cwd = base;
  opts.max_output = 16 << 20;
  auto r = kmgrade::util::run_process(
    {g_kmgrade, "batch", class_dir.string(), "--out", out.string(), "--jobs", "2", "--gradescope", gradescope.string()},
    opts);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(base / out / ".scratch")) << "the finished batch left its scratch folder";

  const auto expected = read_json(g_expected);
  for (const auto& [id, folder] : folders) {
    const fs::path path = base / out / "reports" / (id + ".json");
    ASSERT_TRUE(fs::exists(path)) << path << "\n" << r.output;
    const auto report = read_json(path);
    EXPECT_EQ(report.at("student").at("id"), id);
    EXPECT_EQ(report.at("submission").at("path"), (class_dir / folder).string());
    EXPECT_EQ(report.at("submission").at("files").at("page_alloc.c"), (handed_in / "page_alloc.c").string());
    EXPECT_DOUBLE_EQ(report.at("score").get<double>(), expected.at("score").get<double>()) << id;
    std::size_t automatic = 0;
    for (const auto& ex : report.at("exercises")) {
      for (const auto& c : ex.at("checks")) {
        if (c.at("status") != "manual") {
          ++automatic;
          EXPECT_EQ(c.at("status"), expected.at("checks").at(c.at("id").get<std::string>()))
            << id << " " << c.at("id") << ": " << c.at("message");
        }
      }
    }
    EXPECT_EQ(automatic, expected.at("checks").size()) << id;
    EXPECT_EQ(read_json(base / gradescope / id / "results.json").at("score"), report.at("score")) << id;
  }
  fs::remove_all(base);
}

} // namespace

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: e2e_paths KMGRADE SUBMISSION EXPECTED.json\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_submission = argv[2];
  g_expected = argv[3];
  return RUN_ALL_TESTS();
}
