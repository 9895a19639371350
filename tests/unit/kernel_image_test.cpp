// The sandbox kernel as QEMU loads it: Debian's compressed image unpacked once to the ELF
// kernel inside, which QEMU starts at its PVH entry point.

#include "run/kernel_image.h"
#include "run/sandbox_vm.h"
#include "temp_folder.h"
#include "util/files.h"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace kmgrade;

using KernelImage = TempFolderTest;

TEST(PvhKernel, DebiansImageHoldsAKernelQemuCanStartDirectly)
{
  const std::string image = util::read_file(run::find_sandbox_kernel().image);
  const auto elf = run::pvh_kernel_in(image);
  ASSERT_TRUE(elf);
  EXPECT_TRUE(run::has_pvh_entry(*elf));
  EXPECT_GT(elf->size(), image.size());
  // Cut short, it is no kernel.
  EXPECT_FALSE(run::has_pvh_entry(std::string_view(*elf).substr(0, elf->size() / 2)));
}

TEST(PvhKernel, AnElfWithoutTheEntryNoteOrNoElfIsNone)
{
  const std::string agent = util::read_file(KMGRADE_AGENT);
  EXPECT_FALSE(run::has_pvh_entry(agent)) << "an ordinary program has no PVH entry";
  EXPECT_FALSE(run::has_pvh_entry(""));
  EXPECT_FALSE(run::has_pvh_entry("\x7f"
                                  "ELF"));
  EXPECT_FALSE(run::pvh_kernel_in(agent));
  EXPECT_FALSE(run::pvh_kernel_in(std::string("\xFD"
                                              "7zXZ",
                                              5) +
                                  std::string(100, '\0') + "not a stream"));
}

TEST_F(KernelImage, TheUnpackedKernelIsMadeOnceAndReused)
{
  const fs::path image = run::find_sandbox_kernel().image;
  const fs::path elf = run::boot_image(image, m_dir);
  ASSERT_NE(elf, image);
  EXPECT_EQ(elf.parent_path(), m_dir / "kernel");
  EXPECT_TRUE(run::has_pvh_entry(util::read_file(elf)));
  const auto made = fs::last_write_time(elf);
  EXPECT_EQ(run::boot_image(image, m_dir), elf);
  EXPECT_EQ(fs::last_write_time(elf), made);
}

TEST_F(KernelImage, AnImageWithoutSuchAKernelIsBootedAsItIs)
{
  const fs::path image = m_dir / "vmlinuz-other";
  util::write_file_atomically(image, "a kernel image of another kind");
  EXPECT_EQ(run::boot_image(image, m_dir / "cache"), image);
  // Remembered, so it is not searched again on every boot.
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir / "cache" / "kernel"), fs::directory_iterator()), 1);
  EXPECT_EQ(run::boot_image(image, m_dir / "cache"), image);
}
