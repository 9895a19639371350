#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::intake {

// The lab's files as found in a student's folder.
struct Submission
{
  std::filesystem::path root;
  std::map<std::string, std::filesystem::path> files; // lab file name -> absolute path
  std::string sha256;                                  // of the found files' names and contents
  std::vector<std::string> notes;                      // how files were found, what was ambiguous
};

// Finds each of `wanted` ("page_alloc.c", ...) at any depth under `root`, matching names
// case-insensitively and skipping macOS metadata and build outputs. When a name occurs
// more than once, the shallowest path wins (then the alphabetically first) and a note says
// so. A missing file is simply absent from `files`. Throws Error when `root` is not a folder.
Submission locate_files(const std::filesystem::path& root, const std::vector<std::string>& wanted);

// A student's submission as given: a folder (see locate_files), or a zip or tar archive,
// unpacked safely into `scratch` first (see extract_archive), with one note per entry it
// refused. Throws Error when the path is neither, or the archive is unreadable or a bomb.
Submission open_submission(const std::filesystem::path& path, const std::vector<std::string>& wanted,
                           const std::filesystem::path& scratch);

} // namespace kmgrade::intake
