#include "intake/file_names.h"

#include "intake/archive.h"
#include "util/text.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

namespace kmgrade::intake {

namespace fs = std::filesystem;

namespace {

std::string lower_name(const fs::path& path)
{
  return util::to_lower(path.filename().string());
}

void add_archive_names(const fs::path& path, std::set<std::string>& names)
{
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_zip(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return;
  }
  archive_entry* entry = nullptr;
  std::size_t seen = 0;
  int rc = 0;
  while (seen++ < k_max_listed_names &&
         ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN)) {
    if (archive_entry_filetype(entry) == AE_IFREG) {
      if (const char* name = archive_entry_pathname(entry); name && *name) {
        names.insert(lower_name(name));
      }
    }
  }
}

} // namespace

std::set<std::string> file_names(const fs::path& path)
{
  std::set<std::string> names;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::size_t seen = 0;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end && seen++ < k_max_listed_names; it.increment(ec)) {
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
        names.insert(lower_name(it->path()));
      }
    }
  } else if (is_archive(path)) {
    add_archive_names(path, names);
  }
  return names;
}

} // namespace kmgrade::intake
