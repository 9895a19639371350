// The sandbox image: the agent's part packed once and reused, each boot's files appended.

#include "run/initramfs.h"
#include "temp_folder.h"
#include "util/error.h"
#include "util/files.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

// Every regular file of the archives in `image` from byte `offset` on: path -> size.
std::map<std::string, la_int64_t> files_in(const fs::path& image, std::size_t offset = 0)
{
  const std::string bytes = util::read_file(image).substr(offset);
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_cpio(a.get());
  EXPECT_EQ(archive_read_open_memory(a.get(), bytes.data(), bytes.size()), ARCHIVE_OK);
  std::map<std::string, la_int64_t> files;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) == AE_IFREG) {
      files[archive_entry_pathname(entry)] = archive_entry_size(entry);
    }
  }
  return files;
}

using SandboxImage = TempFolderTest;

} // namespace

TEST_F(SandboxImage, TheAgentsPartIsPackedOnceWithoutDebugInfo)
{
  const fs::path base = run::agent_image(KMGRADE_AGENT, m_dir / "cache");
  EXPECT_EQ(run::agent_image(KMGRADE_AGENT, m_dir / "cache"), base);
  const auto files = files_in(base);
  ASSERT_TRUE(files.count("init"));
  EXPECT_GT(files.at("init"), 0);
  EXPECT_LT(files.at("init"), static_cast<la_int64_t>(fs::file_size(KMGRADE_AGENT)));
  for (const auto& lib : run::shared_libraries(KMGRADE_AGENT)) {
    EXPECT_TRUE(files.count(lib.relative_path().string())) << lib;
  }
  // Nothing of the packing is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir / "cache" / "image"), fs::directory_iterator()), 1);
}

TEST_F(SandboxImage, EachBootsFilesFollowTheAgentsPart)
{
  const fs::path base = run::agent_image(KMGRADE_AGENT, m_dir / "cache");
  const fs::path module = m_dir / "m.ko";
  util::write_file_atomically(module, "not really a module");
  const fs::path image = m_dir / "initramfs.cpio.gz";
  run::write_initramfs(image, base, {{"/modules/student/m.ko", module, "", 0644}, {"/plan.json", "", "{}", 0644}});
  const std::string head = util::read_file(image).substr(0, fs::file_size(base));
  EXPECT_EQ(head, util::read_file(base));
  const auto appended = files_in(image, fs::file_size(base));
  EXPECT_EQ(appended, (std::map<std::string, la_int64_t>{{"modules/student/m.ko", 19}, {"plan.json", 2}}));
  // Written again, the image is the same: the earlier one is replaced, not appended to.
  run::write_initramfs(image, base, {{"/plan.json", "", "{}", 0644}});
  EXPECT_EQ(files_in(image, fs::file_size(base)), (std::map<std::string, la_int64_t>{{"plan.json", 2}}));
}

TEST_F(SandboxImage, AnAgentThatIsNotThereIsNamed)
{
  try {
    run::agent_image(m_dir / "no-agent", m_dir / "cache");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((m_dir / "no-agent").string()), std::string::npos) << e.what();
  }
}
