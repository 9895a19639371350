#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

// A test with a fresh folder of its own under the system's temporary folder, removed after it.
class TempFolderTest : public ::testing::Test
{
protected:
  void SetUp() override
  {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kmgrade-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  std::filesystem::path m_dir;
};
