#include "labs/catalog.h"
#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

// A catalog folder holding Lab 5 and a second lab with one file of its own, list.c.
class LabCatalog : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_dir = m_temp.path();
    fs::create_directories(m_dir / "rubric");
    auto lab5 = nlohmann::json::parse(util::read_file(KMGRADE_RUBRIC));
    lab5["reference"] = std::string(KMGRADE_REFERENCE);
    util::write_file_atomically(m_dir / "rubric" / "lab5.json", lab5.dump(2));
    auto list = lab5;
    list["id"] = "list";
    list["title"] = "A list in procfs";
    list["modules"] = nlohmann::json::array({lab5["modules"][0]});
    list["modules"][0]["file"] = "list.c";
    list["identify_order"] = nlohmann::json::array();
    nlohmann::json kept = nlohmann::json::array();
    for (auto ex : lab5["exercises"]) {
      nlohmann::json checks = nlohmann::json::array();
      for (const auto& c : ex["checks"]) {
        if (c["id"].get<std::string>().rfind("page_alloc.", 0) == 0 || c.value("manual", false)) {
          checks.push_back(c);
        }
      }
      ex["checks"] = checks;
      kept.push_back(ex);
    }
    list["exercises"] = kept;
    double total = 0;
    for (const auto& ex : kept) {
      for (const auto& c : ex["checks"]) {
        total += c["points"].get<double>();
      }
    }
    list["max_score"] = total;
    util::write_file_atomically(m_dir / "rubric" / "list.json", list.dump(2));
  }

  fs::path student(const std::vector<std::string>& files)
  {
    const fs::path dir = m_dir / "student";
    fs::remove_all(dir);
    for (const auto& f : files) {
      fs::create_directories((dir / f).parent_path());
      util::write_file_atomically(dir / f, "int x;\n");
    }
    return dir;
  }

  std::string usage_error(const std::function<void()>& f)
  {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::usage) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }

  util::TempFolder m_temp{"kmgrade-catalog-test"};
  fs::path m_dir;
};

} // namespace

TEST_F(LabCatalog, ListsEachLabById)
{
  const auto labs = labs::list_labs(m_dir / "rubric");
  ASSERT_EQ(labs.size(), 2u);
  EXPECT_EQ(labs[0].id, "lab5");
  EXPECT_EQ(labs[0].modules.size(), 3u);
  EXPECT_EQ(labs[1].id, "list");
  EXPECT_EQ(labs[1].modules.at(0).file, "list.c");
}

TEST_F(LabCatalog, ALabFileNamedOtherwiseThanItsIdIsRefusedByName)
{
  fs::rename(m_dir / "rubric" / "list.json", m_dir / "rubric" / "lists.json");
  try {
    labs::list_labs(m_dir / "rubric");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lists.json: its id is list"), std::string::npos) << e.what();
  }
}

TEST_F(LabCatalog, FindsALabByIdOrByPath)
{
  EXPECT_EQ(labs::find_lab("list", m_dir / "rubric"), m_dir / "rubric" / "list.json");
  const fs::path elsewhere = m_dir / "course" / "week1.json";
  fs::create_directories(elsewhere.parent_path());
  fs::copy_file(m_dir / "rubric" / "list.json", elsewhere);
  EXPECT_EQ(labs::find_lab(elsewhere.string(), m_dir / "rubric"), elsewhere);
  EXPECT_EQ(usage_error([&] { labs::find_lab("lab6", m_dir / "rubric"); }),
            "--lab lab6: kmgrade has no such lab; it has lab5 (page_alloc.c, kmem_alloc.c, cache_alloc.c); list "
            "(list.c); give the id of one of them, or the path of a lab file");
  EXPECT_EQ(usage_error([&] { labs::find_lab("course/none.json", m_dir / "rubric"); }),
            "--lab course/none.json: no such lab file");
}

TEST_F(LabCatalog, ChoosesTheLabWhoseFilesTheSubmissionHolds)
{
  EXPECT_EQ(labs::lab_for(student({"lab/List.c", "notes.txt"}), m_dir / "rubric"), m_dir / "rubric" / "list.json");
  EXPECT_EQ(labs::lab_for(student({"a/page_alloc.c", "kmem_alloc.c"}), m_dir / "rubric"),
            m_dir / "rubric" / "lab5.json");
  EXPECT_EQ(labs::lab_for(KMGRADE_SAMPLES "/class-download.zip", m_dir / "rubric"), m_dir / "rubric" / "lab5.json");
}

TEST_F(LabCatalog, AnAmbiguousSubmissionIsAUsageErrorListingTheCandidates)
{
  const auto dir = student({"page_alloc.c", "list.c"});
  EXPECT_EQ(usage_error([&] { labs::lab_for(dir, m_dir / "rubric"); }),
            dir.string() + " holds files of more than one lab: lab5 (page_alloc.c, kmem_alloc.c, cache_alloc.c); "
                           "list (list.c); say which lab with --lab ID");
  const auto none = student({"README.md"});
  EXPECT_EQ(usage_error([&] { labs::lab_for(none, m_dir / "rubric"); }),
            none.string() + " holds none of the files of kmgrade's labs: lab5 (page_alloc.c, kmem_alloc.c, "
                            "cache_alloc.c); list (list.c); say which lab with --lab ID");
}

TEST_F(LabCatalog, WithOneLabEverySubmissionIsForIt)
{
  fs::remove(m_dir / "rubric" / "list.json");
  EXPECT_EQ(labs::lab_for(student({"README.md"}), m_dir / "rubric"), m_dir / "rubric" / "lab5.json");
}
