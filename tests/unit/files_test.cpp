#include "temp_folder.h"

#include "util/error.h"
#include "util/files.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace kmgrade::util;
namespace fs = std::filesystem;

namespace {

// Sets the process's umask for one test and puts the old one back after it, whatever the test asserted.
class FileModes : public TempFolderTest
{
protected:
  void TearDown() override
  {
    ::umask(m_saved);
    TempFolderTest::TearDown();
  }

  void set_umask(mode_t mask) { ::umask(mask); }

  static mode_t mode_of(const fs::path& path)
  {
    struct stat st
    {
    };
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  // Every name in the folder: a temporary file left behind would be one too many.
  std::vector<std::string> names(const fs::path& dir) const
  {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

private:
  mode_t m_saved = ::umask(022);
};

TEST_F(FileModes, ProcessUmaskIsReadWithoutChangingIt)
{
  set_umask(027);
  EXPECT_EQ(process_umask(), 027);
  EXPECT_EQ(::umask(027), 027);
}

TEST_F(FileModes, FilesAndFoldersFollowUmask022)
{
  set_umask(022);
  write_file_atomically(m_dir / "out" / "summary.csv", "id,score\n");
  EXPECT_EQ(mode_of(m_dir / "out" / "summary.csv"), 0644);
  EXPECT_EQ(mode_of(m_dir / "out"), 0755);
  EXPECT_EQ(read_file(m_dir / "out" / "summary.csv"), "id,score\n");
  EXPECT_EQ(names(m_dir / "out"), std::vector<std::string>{"summary.csv"});
}

TEST_F(FileModes, FilesAndFoldersFollowUmask077)
{
  set_umask(077);
  write_file_atomically(m_dir / "out" / "index.html", "<html></html>\n");
  EXPECT_EQ(mode_of(m_dir / "out" / "index.html"), 0600);
  EXPECT_EQ(mode_of(m_dir / "out"), 0700);
  EXPECT_EQ(names(m_dir / "out"), std::vector<std::string>{"index.html"});
}

TEST_F(FileModes, ARewrittenFileTakesTheUmaskOfItsNewWrite)
{
  set_umask(077);
  write_file_atomically(m_dir / "report.json", "{}\n");
  set_umask(022);
  write_file_atomically(m_dir / "report.json", "{\"score\": 1}\n");
  EXPECT_EQ(mode_of(m_dir / "report.json"), 0644);
  EXPECT_EQ(names(m_dir), std::vector<std::string>{"report.json"});
}

TEST_F(FileModes, ASecretStaysTheOwnersWhateverTheUmask)
{
  set_umask(022);
  write_file_atomically(m_dir / "plan.json", "{\"secret\": \"x\"}\n", FileAccess::owner_only);
  EXPECT_EQ(mode_of(m_dir / "plan.json"), 0600);
  EXPECT_EQ(names(m_dir), std::vector<std::string>{"plan.json"});
}

TEST_F(FileModes, APrivateFolderIsTheOwnersWhateverTheUmask)
{
  set_umask(022);
  create_private_folder(m_dir / "out" / ".scratch");
  EXPECT_EQ(mode_of(m_dir / "out" / ".scratch"), 0700);
  EXPECT_EQ(mode_of(m_dir / "out"), 0755) << "the results' folder above it follows the umask";
  EXPECT_THROW(create_private_folder(m_dir / "out" / ".scratch"), kmgrade::Error) << "one left by another run";
}

TEST_F(FileModes, AFailedWriteLeavesNoTemporaryFile)
{
  set_umask(022);
  fs::create_directories(m_dir / "taken");
  EXPECT_THROW(write_file_atomically(m_dir / "taken", "x"), kmgrade::Error);
  EXPECT_EQ(names(m_dir), std::vector<std::string>{"taken"});
}

} // namespace
