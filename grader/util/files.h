#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace kmgrade::util {

// The whole content of a file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes all of `data` to `fd`, again after an interrupted or partial write. False, with
// errno set, on an error.
bool write_all(int fd, std::string_view data);

// Who may read a file kmgrade writes.
enum class FileAccess {
  umask,      // what open(O_CREAT, 0666) would give under the process's umask (0644 under 022)
  owner_only, // 0600 whatever the umask: a file that holds a secret
};

// The process's umask, read without changing it (umask() can only be read by setting it,
// which would race with threads creating files): the Umask line of /proc/self/status
// (Linux 4.7 and later); 077 when that cannot be read, so that no file is ever more open
// than its owner asked.
mode_t process_umask();

// Writes `data` to `path` through a temporary file in the same folder and a rename, so a
// reader sees the old file or the whole new one, never a part; concurrent writers of the
// same content are harmless. The temporary file is the owner's alone until it is complete;
// the file gets the mode `access` says just before the rename. Creates the folder (its mode
// from the umask, as mkdir gives). Throws Error naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view data,
                           FileAccess access = FileAccess::umask);

// Creates the folder `dir` as the owner's alone (0700, whatever the umask), and the folders
// above it as mkdir does: for what must stay private, the students' code a batch unpacks
// beside its results. Throws Error naming the folder when it cannot be made or is already there.
void create_private_folder(const std::filesystem::path& dir);

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
