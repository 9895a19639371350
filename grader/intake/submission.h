#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::intake {

// A file the lab asks for, and the calls that give it away when a student named it otherwise.
struct WantedFile
{
  std::string name;               // "hello.c"
  std::vector<std::string> calls; // "kmem_cache_create": every one must be called in the file
};

// The lab's files as found in a student's folder.
struct Submission
{
  std::filesystem::path root;
  std::map<std::string, std::filesystem::path> files; // lab file name -> absolute path
  // lab file name -> the submission's files it includes (see included_files), relative to root
  std::map<std::string, std::vector<std::filesystem::path>> includes;
  std::string sha256;             // of the found files' and their includes' names and contents
  std::vector<std::string> notes; // how files were found, what was ambiguous
};

// Finds each of `wanted` at any depth under `root`, by name first (case-insensitively),
// then, for names not found, among the other .c files by the calls it makes (`wanted` in
// order of precedence: a file that fits two takes the first). Skips macOS metadata, editor
// backups and hidden files. When several files fit, the shallowest path wins (then the
// alphabetically first) and a note says so; a note also says how each renamed file was
// recognised. A missing file is simply absent from `files`. Throws Error when `root` is not
// a folder.
Submission locate_files(const std::filesystem::path& root, const std::vector<WantedFile>& wanted);

// The most files one source may include from its submission, and the largest of them: a
// submission's own headers are a few small files.
inline constexpr std::size_t k_max_includes = 32;
inline constexpr std::uintmax_t k_max_include_bytes = 1 << 20;

// The files under `root` that `source` (relative to `root`) includes with `#include "..."`,
// directly or through another of them, each resolved as the compiler does, from the folder
// of the file that includes it; relative to `root`, in the order first included. A name that
// leaves `root`, a link, anything but a regular file and a file that is not there are left
// out: the compiler then says it cannot find them. Stops at k_max_includes files; skips
// files over k_max_include_bytes.
std::vector<std::filesystem::path> included_files(const std::filesystem::path& root,
                                                  const std::filesystem::path& source);

// A student's submission as given: a folder (see locate_files), or a zip or tar archive,
// unpacked safely into `scratch` first (see extract_archive), with one note per entry it
// refused. Throws Error when the path is neither, or the archive is unreadable or a bomb.
Submission open_submission(const std::filesystem::path& path, const std::vector<WantedFile>& wanted,
                           const std::filesystem::path& scratch);

} // namespace kmgrade::intake
