#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace kmgrade::intake {

// The most names file_names reads: enough for any class download, and a bound on a hostile one.
inline constexpr std::size_t k_max_listed_names = 200000;

// The names (last path component, lower case) of the files a folder holds at any depth, or
// that a zip or tar archive lists, read without unpacking anything: what choosing a lab for
// a submission needs. Links are not followed. A path that cannot be read, or an archive
// libarchive cannot open, gives the names read so far (possibly none): the grade itself then
// reports what is wrong with it. Never throws.
std::set<std::string> file_names(const std::filesystem::path& path);

} // namespace kmgrade::intake
