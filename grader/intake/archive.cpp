#include "intake/archive.h"

#include "util/error.h"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace kmgrade::intake {

namespace fs = std::filesystem;

namespace {

using ReaderPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Why an entry name cannot be written below the destination, or "" when it can.
std::string unsafe_name(const std::string& name)
{
  if (name.empty()) {
    return "empty name";
  }
  if (name.front() == '/') {
    return "absolute path";
  }
  for (const auto& part : fs::path(name)) {
    if (part == "..") {
      return "path leads outside the submission (..)";
    }
  }
  return "";
}

const char* refused_type(mode_t type)
{
  switch (type) {
  case AE_IFLNK: return "symbolic link";
  case AE_IFCHR: return "character device";
  case AE_IFBLK: return "block device";
  case AE_IFIFO: return "FIFO";
  case AE_IFSOCK: return "socket";
  default: return "special file";
  }
}

class Extractor
{
public:
  Extractor(const ExtractLimits& limits, Extraction& out) : m_limits(limits), m_out(out) {}

  void extract(const fs::path& archive_path, const fs::path& dest, int depth)
  {
    ReaderPtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_zip(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_filename(a.get(), archive_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
      throw Error("cannot open the archive " + archive_path.filename().string() + ": " +
                  archive_error_string(a.get()));
    }
    const auto packed = std::max<std::uintmax_t>(fs::file_size(archive_path), 1);
    std::uint64_t unpacked = 0;
    std::vector<fs::path> nested;
    archive_entry* entry = nullptr;
    int rc = 0;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
      const char* raw = archive_entry_pathname_utf8(entry);
      if (!raw) {
        m_out.refused.push_back(std::string(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "?") +
                                ": the name is not valid UTF-8");
        continue;
      }
      std::string name = raw;
      if (++m_entries > m_limits.max_entries) {
        throw Error("the archive " + archive_path.filename().string() + " holds more than " +
                    std::to_string(m_limits.max_entries) + " entries");
      }
      if (auto why = unsafe_name(name); !why.empty()) {
        m_out.refused.push_back(name + ": " + why);
        continue;
      }
      if (archive_entry_is_encrypted(entry)) {
        m_out.refused.push_back(name + ": encrypted (submit it without a password)");
        continue;
      }
      if (archive_entry_hardlink(entry)) {
        m_out.refused.push_back(name + ": hard link");
        continue;
      }
      const mode_t type = archive_entry_filetype(entry);
      const fs::path target = dest / fs::path(name).lexically_normal();
      if (type == AE_IFDIR) {
        fs::create_directories(target);
        continue;
      }
      if (type != AE_IFREG) {
        m_out.refused.push_back(name + ": " + refused_type(type));
        continue;
      }
      fs::create_directories(target.parent_path());
      int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) {
        m_out.refused.push_back(name + ": " + std::strerror(errno));
        continue;
      }
      std::uint64_t entry_bytes = 0;
      const void* buf = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      int data_rc = 0;
      while ((data_rc = archive_read_data_block(a.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        entry_bytes += size;
        unpacked += size;
        m_out.bytes += size;
        if (entry_bytes > m_limits.max_entry_bytes || m_out.bytes > m_limits.max_total_bytes ||
            static_cast<double>(unpacked) > m_limits.max_ratio * static_cast<double>(packed) + (1 << 20)) {
          ::close(fd);
          throw Error("the archive " + archive_path.filename().string() + " unpacks to more than the limits allow (" +
                      name + " alone passed " + std::to_string(entry_bytes) +
                      " bytes): it looks like a zip bomb, or it holds far more than three source files");
        }
        if (::write(fd, buf, size) != static_cast<ssize_t>(size)) {
          ::close(fd);
          throw Error("cannot write " + target.string() + " while unpacking: " + std::strerror(errno));
        }
      }
      ::close(fd);
      if (data_rc != ARCHIVE_EOF) {
        m_out.refused.push_back(name + ": " + archive_error_string(a.get()));
        fs::remove(target);
        continue;
      }
      ++m_out.files;
      if (is_archive(target)) {
        nested.push_back(target);
      }
    }
    if (rc != ARCHIVE_EOF) {
      throw Error("the archive " + archive_path.filename().string() + " is damaged: " + archive_error_string(a.get()));
    }
    for (const auto& inner : nested) {
      if (depth + 1 > m_limits.max_depth) {
        m_out.refused.push_back(fs::relative(inner, dest).string() + ": archive nested too deep, not opened");
        continue;
      }
      extract(inner, inner.parent_path() / (inner.filename().string() + ".contents"), depth + 1);
    }
  }

private:
  const ExtractLimits& m_limits;
  Extraction& m_out;
  std::size_t m_entries = 0;
};

} // namespace

bool is_archive(const fs::path& path)
{
  const std::string name = lower(path.filename().string());
  for (const char* ext : {".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

Extraction extract_archive(const fs::path& archive, const fs::path& dest, const ExtractLimits& limits)
{
  Extraction out;
  fs::create_directories(dest);
  try {
    Extractor(limits, out).extract(archive, dest, 1);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dest, ec);
    throw;
  }
  return out;
}

} // namespace kmgrade::intake
