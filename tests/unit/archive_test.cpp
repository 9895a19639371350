// Real archives, written with libarchive as a zip tool would, fed to the extractor.

#include "intake/archive.h"
#include "intake/submission.h"
#include "util/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

struct Entry
{
  Entry(std::string n, std::string d, mode_t t = AE_IFREG, std::string l = {})
    : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l))
  {
  }
  std::string name;
  std::string data;
  mode_t type;
  std::string link; // symlink target
};

void write_archive(const fs::path& path, const std::vector<Entry>& entries, bool zip = true)
{
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  if (zip) {
    archive_write_set_format_zip(a.get());
  } else {
    archive_write_set_format_pax_restricted(a.get());
    archive_write_add_filter_gzip(a.get());
  }
  ASSERT_EQ(archive_write_open_filename(a.get(), path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_filetype(entry.get(), e.type);
    archive_entry_set_perm(entry.get(), 0644);
    if (!e.link.empty()) {
      archive_entry_set_symlink(entry.get(), e.link.c_str());
    }
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.type == AE_IFREG ? e.data.size() : 0));
    ASSERT_EQ(archive_write_header(a.get(), entry.get()), ARCHIVE_OK) << archive_error_string(a.get());
    if (e.type == AE_IFREG && !e.data.empty()) {
      archive_write_data(a.get(), e.data.data(), e.data.size());
    }
  }
  archive_write_close(a.get());
}

std::string read_text(const fs::path& path)
{
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ArchiveTest : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_dir = fs::temp_directory_path() / ("kmgrade-archive-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

} // namespace

TEST_F(ArchiveTest, RefusesEntriesThatEscapeOrAreNotPlainFiles)
{
  const auto zip = m_dir / "student.zip";
  write_archive(zip, {{"lab5/page_alloc.c", "int x;\n"},
                      {"../escaped.c", "evil\n"},
                      {"lab5/../../escaped2.c", "evil\n"},
                      {"/tmp/absolute.c", "evil\n"},
                      {"lab5/passwd", "", AE_IFLNK, "/etc/passwd"}});
  auto out = intake::extract_archive(zip, m_dir / "x");
  EXPECT_EQ(out.files, 1u);
  EXPECT_EQ(read_text(m_dir / "x" / "lab5" / "page_alloc.c"), "int x;\n");
  std::vector<std::string> expected = {"../escaped.c: path leads outside the submission (..)",
                                       "lab5/../../escaped2.c: path leads outside the submission (..)",
                                       "/tmp/absolute.c: absolute path", "lab5/passwd: symbolic link"};
  EXPECT_EQ(out.refused, expected);
  EXPECT_FALSE(fs::exists(m_dir / "escaped.c"));
  EXPECT_FALSE(fs::exists(m_dir / "escaped2.c"));
  EXPECT_FALSE(fs::exists(m_dir / "x" / "lab5" / "passwd"));
}

TEST_F(ArchiveTest, AZipBombStopsWithAClearErrorAndLeavesNothing)
{
  const auto zip = m_dir / "bomb.zip";
  write_archive(zip, {{"zeros.c", std::string(40u << 20, '\0')}});
  try {
    intake::extract_archive(zip, m_dir / "x");
    FAIL() << "a 40 MiB entry of zeros was unpacked";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the archive bomb.zip unpacks to more than the limits allow"),
              std::string::npos)
      << e.what();
  }
  EXPECT_FALSE(fs::exists(m_dir / "x"));
}

TEST_F(ArchiveTest, ADamagedArchiveIsAnError)
{
  const auto zip = m_dir / "broken.zip";
  std::ofstream(zip) << "PK\x03\x04 this is not really a zip";
  EXPECT_THROW(intake::extract_archive(zip, m_dir / "x"), Error);
}

TEST_F(ArchiveTest, NestedArchiveIsOpenedAndGradedFilesAreFound)
{
  const auto inner = m_dir / "inner.tar.gz";
  write_archive(inner, {{"src/kmem_alloc.c", "kmem\n"}}, false);
  const auto outer = m_dir / "Jane Doe_42_assignsubmission_file_.zip";
  write_archive(outer, {{"page_alloc.c", "page\n"}, {"code.tar.gz", read_text(inner)}, {"__MACOSX/._page_alloc.c", "x"}});
  auto s = intake::open_submission(outer, {{"page_alloc.c", {}}, {"kmem_alloc.c", {}}, {"cache_alloc.c", {}}},
                                   m_dir / "scratch");
  ASSERT_EQ(s.files.count("page_alloc.c"), 1u);
  ASSERT_EQ(s.files.count("kmem_alloc.c"), 1u);
  EXPECT_EQ(read_text(s.files["kmem_alloc.c"]), "kmem\n");
  EXPECT_EQ(fs::relative(s.files["kmem_alloc.c"], s.root), fs::path("code.tar.gz.contents/src/kmem_alloc.c"));
  EXPECT_EQ(s.files.count("cache_alloc.c"), 0u);
  EXPECT_EQ(s.notes, std::vector<std::string>{"cache_alloc.c was not found in the submission"});
}

TEST(Archive, RecognisesArchiveNames)
{
  EXPECT_TRUE(intake::is_archive("a.zip"));
  EXPECT_TRUE(intake::is_archive("A.ZIP"));
  EXPECT_TRUE(intake::is_archive("x.tar.gz"));
  EXPECT_TRUE(intake::is_archive("x.tgz"));
  EXPECT_TRUE(intake::is_archive("x.tar.xz"));
  EXPECT_FALSE(intake::is_archive("page_alloc.c"));
  EXPECT_FALSE(intake::is_archive(".zip"));
}
