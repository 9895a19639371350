#include "intake/submission.h"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

const std::vector<intake::WantedFile> k_lab5 = {
  {"cache_alloc.c", {"kmem_cache_create"}}, {"page_alloc.c", {"alloc_pages"}}, {"kmem_alloc.c", {"kmalloc"}}};

class SubmissionTest : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_dir = fs::temp_directory_path() / ("kmgrade-submission-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  void write(const std::string& rel, const std::string& text)
  {
    fs::create_directories((m_dir / rel).parent_path());
    std::ofstream(m_dir / rel) << text;
  }
  fs::path m_dir;
};

} // namespace

TEST_F(SubmissionTest, RenamedFilesAreRecognisedByWhatTheyCall)
{
  write("part-3/page.c", "p = alloc_pages(GFP_KERNEL, order);");
  write("part-4/lab4.c", "o = kmalloc (sizeof(*o), GFP_KERNEL);");
  write("part-5/slab.c", "c = kmem_cache_create(\"c\", 32, 0, 0, NULL); o = kmalloc(32, GFP_KERNEL);");
  write("__MACOSX/part-3/._page.c", "alloc_pages(");
  write("part-3/page.c~", "alloc_pages(");
  auto s = intake::locate_files(m_dir, k_lab5);
  EXPECT_EQ(fs::relative(s.files.at("page_alloc.c"), s.root), fs::path("part-3/page.c"));
  EXPECT_EQ(fs::relative(s.files.at("kmem_alloc.c"), s.root), fs::path("part-4/lab4.c"));
  EXPECT_EQ(fs::relative(s.files.at("cache_alloc.c"), s.root), fs::path("part-5/slab.c"));
  std::vector<std::string> notes = {
    "cache_alloc.c: graded part-5/slab.c, recognised by what it calls (kmem_cache_create)",
    "page_alloc.c: graded part-3/page.c, recognised by what it calls (alloc_pages)",
    "kmem_alloc.c: graded part-4/lab4.c, recognised by what it calls (kmalloc)"};
  EXPECT_EQ(s.notes, notes);
}

TEST_F(SubmissionTest, ACallAfterAHugeRunOfSpacesIsRecognised)
{
  // Matched with a regex, the spaces overflowed its matcher's stack.
  write("a/one.c", "p = alloc_pages" + std::string(200000, ' ') + "(GFP_KERNEL, 0);");
  write("b/two.c", "my_kmalloc(32); kmalloc" + std::string(200000, ' ') + ";");
  auto s = intake::locate_files(m_dir, k_lab5);
  EXPECT_EQ(fs::relative(s.files.at("page_alloc.c"), s.root), fs::path("a/one.c"));
  EXPECT_EQ(s.files.count("kmem_alloc.c"), 0u);
}

TEST_F(SubmissionTest, NamesWinOverCallsAndCaseDoesNotMatter)
{
  write("LAB5/Page_Alloc.c", "alloc_pages(");
  write("LAB5/KMEM_ALLOC.C", "kmalloc(");
  write("old/page_alloc_v1.c", "alloc_pages(");
  auto s = intake::locate_files(m_dir, k_lab5);
  EXPECT_EQ(fs::relative(s.files.at("page_alloc.c"), s.root), fs::path("LAB5/Page_Alloc.c"));
  EXPECT_EQ(fs::relative(s.files.at("kmem_alloc.c"), s.root), fs::path("LAB5/KMEM_ALLOC.C"));
  EXPECT_EQ(s.files.count("cache_alloc.c"), 0u);
  EXPECT_EQ(s.notes, std::vector<std::string>{"cache_alloc.c was not found in the submission"});
}

TEST_F(SubmissionTest, TwoCandidatesTheShallowestWinsWithANote)
{
  write("a/b/page_alloc.c", "deep");
  write("z/page_alloc.c", "shallow");
  auto s = intake::locate_files(m_dir, k_lab5);
  EXPECT_EQ(fs::relative(s.files.at("page_alloc.c"), s.root), fs::path("z/page_alloc.c"));
  EXPECT_NE(std::find(s.notes.begin(), s.notes.end(),
                      "page_alloc.c: 2 candidates; graded z/page_alloc.c (the shallowest path, then alphabetical "
                      "order)"),
            s.notes.end());
}

TEST_F(SubmissionTest, TheSubmissionsOwnIncludesAreFoundAsTheCompilerFindsThem)
{
  write("Lab 5/page_allocation.c",
        "#include <linux/module.h>\n#include \"page_allocation.h\"\n  #  include \"../common/timing.h\"\n"
        "#include \"missing.h\"\np = alloc_pages(GFP_KERNEL, order);\n");
  write("Lab 5/page_allocation.h", "#include \"types.h\"\n#include \"page_allocation.h\"\n");
  write("Lab 5/types.h", "struct s { int a; };\n");
  write("common/timing.h", "#include \"../../outside.h\"\n#include \"/etc/passwd\"\n");
  write("Lab 5/unused.h", "int unused;\n");
  auto s = intake::locate_files(m_dir, k_lab5);
  const std::vector<fs::path> expected = {"Lab 5/page_allocation.h", "common/timing.h", "Lab 5/types.h"};
  EXPECT_EQ(s.includes.at("page_alloc.c"), expected);
  EXPECT_EQ(s.includes.count("kmem_alloc.c"), 0u) << "kmem_alloc.c is not in the submission";

  // A changed header is a changed submission.
  const std::string before = s.sha256;
  write("Lab 5/types.h", "struct s { long a; };\n");
  EXPECT_NE(intake::locate_files(m_dir, k_lab5).sha256, before);
}

TEST_F(SubmissionTest, AnIncludeThroughALinkOrOfAFolderIsLeftOut)
{
  write("sub/page.c", "#include \"link.h\"\n#include \"dir/secret.h\"\n#include \"folder\"\n"
                      "alloc_pages(GFP_KERNEL, 0);\n");
  write("outside/secret.h", "int secret;\n");
  fs::create_directories(m_dir / "sub/folder");
  fs::create_symlink("/etc/passwd", m_dir / "sub/link.h");
  fs::create_directory_symlink(m_dir / "outside", m_dir / "sub/dir");
  auto s = intake::locate_files(m_dir, k_lab5);
  EXPECT_TRUE(s.includes.at("page_alloc.c").empty());
}
