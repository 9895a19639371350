// The sandbox image: the agent's part packed once and reused; each boot's files sent to the agent.

#include "observe/delivery.h"
#include "run/initramfs.h"
#include "temp_folder.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

// Every regular file of the archives in `image`: path -> size.
std::map<std::string, la_int64_t> files_in(const fs::path& image)
{
  const std::string bytes = util::read_file(image);
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

TEST_F(SandboxImage, EachBootsFilesGoToTheAgentWithModulesStrippedOfTheirDebugInfo)
{
  const fs::path source = m_dir / "hello.c";
  util::write_file_atomically(source, "int hello(void) { return 1; }\n");
  const fs::path module = m_dir / "m.ko";
  ASSERT_EQ(util::run_process({"gcc", "-g", "-c", source.string(), "-o", module.string()}).exit_code, 0);
  const std::string bytes = run::delivery_bytes(
    "{}", {{"/modules/student/m.ko", module, "", 0644}, {"/etc/motd", "", "hi", 0600}}, m_dir / "scratch");
  observe::DeliveryReader reader;
  EXPECT_EQ(reader.feed(bytes), bytes.size());
  ASSERT_TRUE(reader.done());
  const auto& files = reader.done()->files;
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "/modules/student/m.ko");
  EXPECT_EQ(files[0].mode, 0644u);
  EXPECT_GT(files[0].data.size(), 0u);
  EXPECT_LT(files[0].data.size(), fs::file_size(module));
  EXPECT_EQ(files[0].data.find(".debug_info"), std::string::npos);
  EXPECT_EQ(files[1].path, "/etc/motd");
  EXPECT_EQ(files[1].data, "hi");
  EXPECT_EQ(files[1].mode, 0600u);
  EXPECT_EQ(reader.done()->plan_json, "{}");
  // The module as it was built is left as it is: the host reads its debug info.
  EXPECT_NE(util::read_file(module).find(".debug_info"), std::string::npos);
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
