#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::intake {

// A file the lab asks for, and the calls that give it away when a student named it otherwise.
struct WantedFile
{
  std::string name;                // "cache_alloc.c"
  std::vector<std::string> calls;  // "kmem_cache_create": every one must be called in the file
};

// The lab's files as found in a student's folder.
struct Submission
{
  std::filesystem::path root;
  std::map<std::string, std::filesystem::path> files; // lab file name -> absolute path
  std::string sha256;                                  // of the found files' names and contents
  std::vector<std::string> notes;                      // how files were found, what was ambiguous
};

// Finds each of `wanted` at any depth under `root`, by name first (case-insensitively),
// then, for names not found, among the other .c files by the calls it makes (`wanted` in
// order of precedence: a file that fits two takes the first). Skips macOS metadata, editor
// backups and hidden files. When several files fit, the shallowest path wins (then the
// alphabetically first) and a note says so; a note also says how each renamed file was
// recognised. A missing file is simply absent from `files`. Throws Error when `root` is not
// a folder.
Submission locate_files(const std::filesystem::path& root, const std::vector<WantedFile>& wanted);

// A student's submission as given: a folder (see locate_files), or a zip or tar archive,
// unpacked safely into `scratch` first (see extract_archive), with one note per entry it
// refused. Throws Error when the path is neither, or the archive is unreadable or a bomb.
Submission open_submission(const std::filesystem::path& path, const std::vector<WantedFile>& wanted,
                           const std::filesystem::path& scratch);

} // namespace kmgrade::intake
