#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace kmgrade::util {

// The whole content of a file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes all of `data` to `fd`, again after an interrupted or partial write. False, with
// errno set, on an error.
bool write_all(int fd, std::string_view data);

// Writes `data` to `path` through a temporary file in the same folder and a rename, so a
// reader sees the old file or the whole new one, never a part; concurrent writers of the
// same content are harmless. Creates the folder. Throws Error naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view data);

// Identifies a file by where it is (its path, device and inode), its size and when it last
// changed: enough to notice a rebuilt program or an upgraded package without reading the file. Throws Error when the
// file is not there.
std::string file_stamp(const std::filesystem::path& path);

// Throws Error, naming `what` and the folder, when the disk under `dir` has fewer than
// `bytes` free: a full disk found at the start costs nothing, one found mid-batch costs work.
void require_free_space(const std::filesystem::path& dir, std::uint64_t bytes, const std::string& what);

// A fresh folder of its own under the system's temporary folder (TMPDIR), named
// "<prefix>-XXXXXX", removed with all it holds when the object goes. Throws Error when it
// cannot be made.
class TempFolder
{
public:
  explicit TempFolder(const std::string& prefix);
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

} // namespace kmgrade::util
