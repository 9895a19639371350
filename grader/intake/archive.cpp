#include "intake/archive.h"

#include "util/error.h"
#include "util/text.h"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace kmgrade::intake {

namespace fs = std::filesystem;

namespace {

using ReaderPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

// libarchive leaves its message unset on some failures (a gzip stream cut before its end).
std::string error_of(archive* a)
{
  const char* why = archive_error_string(a);
  return why ? why : "unreadable data";
}

// An archive whose content cannot be unpacked (a bomb, a damaged one): an Error at the top,
// a refusal of that archive alone when it lies inside another.
class Unpackable : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// Length of the well-formed UTF-8 sequence at s[i], or 0 (overlong forms, surrogates and
// code points past U+10FFFF are not well-formed).
std::size_t utf8_sequence(const std::string& s, std::size_t i)
{
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c < 0x80) {
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + len > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return len;
}

bool valid_utf8(const std::string& s)
{
  for (std::size_t i = 0, n = 0; i < s.size(); i += n) {
    if ((n = utf8_sequence(s, i)) == 0) {
      return false;
    }
  }
  return true;
}

// A name or a libarchive message as the report can show it: the report is UTF-8 JSON and a
// text summary, so bytes that are not UTF-8 and control characters become \xNN, and a name
// of thousands of characters is cut.
std::string shown(const std::string& s)
{
  constexpr std::size_t k_max = 200;
  std::string out;
  for (std::size_t i = 0, n = 0; i < s.size(); i += n) {
    if (out.size() >= k_max) {
      return out + "...";
    }
    n = utf8_sequence(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      static const char* const k_hex = "0123456789abcdef";
      out += {'\\', 'x', k_hex[c >> 4], k_hex[c & 0xF]};
      n = 1;
    } else {
      out.append(s, i, n);
    }
  }
  return out;
}

std::string size_text(std::uint64_t bytes)
{
  return bytes % (1 << 20) == 0 ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

Unpackable bomb(const std::string& which_cap)
{
  return Unpackable("unpacks to more than the limits allow (" + which_cap +
                    "): it looks like a zip bomb, or it holds far more than three source files");
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

// Why an entry of this type is not written, or "" for a regular file or a folder.
std::string refused_type(archive_entry* entry)
{
  if (const char* target = archive_entry_hardlink(entry)) {
    return "hard link to " + shown(target);
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
    case AE_IFDIR:
      return "";
    case AE_IFLNK:
      return "symbolic link to " + shown(archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "");
    case AE_IFCHR:
      return "character device";
    case AE_IFBLK:
      return "block device";
    case AE_IFIFO:
      return "FIFO";
    case AE_IFSOCK:
      return "socket";
    default:
      return "special file";
  }
}

// Why `rel` could not be created below `dest`: an earlier entry took its name, or the name
// of one of its folders.
std::string clash(const fs::path& dest, const fs::path& rel, const std::string& otherwise)
{
  std::error_code ec;
  fs::path at = dest;
  fs::path taken;
  for (const auto& part : rel) {
    at /= part;
    taken /= part;
    const auto st = fs::symlink_status(at, ec);
    if (fs::exists(st) && !fs::is_directory(st)) {
      return "conflicts with " + shown(taken.string()) + ", a file unpacked before it";
    }
  }
  if (fs::is_directory(fs::symlink_status(at, ec))) {
    return "conflicts with " + shown(taken.string()) + ", a folder unpacked before it";
  }
  return otherwise;
}

class Extractor
{
public:
  Extractor(const ExtractLimits& limits, Extraction& out) : m_limits(limits), m_out(out) {}

  // `where` prefixes the names this archive's refusals give ("" at the top, "code.zip: "
  // for an archive inside it), so each says which archive it came from.
  void extract(const fs::path& archive_path, const fs::path& dest, const std::string& where, int depth)
  {
    ReaderPtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_zip(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_filename(a.get(), archive_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
      throw Unpackable("cannot be opened: " + shown(error_of(a.get())));
    }
    const auto packed = std::max<std::uintmax_t>(fs::file_size(archive_path), 1);
    std::uint64_t unpacked = 0;
    std::vector<fs::path> nested;
    std::size_t entries = 0;
    archive_entry* entry = nullptr;
    int rc = 0;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
      // The cap is on the whole submission, so that archives inside archives cannot
      // multiply it; a nested one can pass it with the entries before it.
      if (++entries, ++m_entries > m_limits.max_entries) {
        const auto cap = std::to_string(m_limits.max_entries);
        throw Unpackable(entries > m_limits.max_entries ? "holds more than " + cap + " entries"
                                                        : "takes the submission past " + cap + " entries in all");
      }
      // Without a locale libarchive hands names over as stored; their UTF-8 form is null
      // for any name beyond ASCII, so the bytes are checked here instead.
      const char* raw = archive_entry_pathname(entry);
      const std::string name = raw ? raw : "";
      auto refuse = [&](const std::string& why) { m_out.refused.push_back(where + shown(name) + ": " + why); };
      if (!raw || !valid_utf8(name)) {
        refuse("the name is not valid UTF-8 (rename it with plain letters, digits, - and _)");
        continue;
      }
      if (auto why = unsafe_name(name); !why.empty()) {
        refuse(why);
        continue;
      }
      if (archive_entry_is_encrypted(entry)) {
        refuse("encrypted (submit it without a password)");
        continue;
      }
      if (auto why = refused_type(entry); !why.empty()) {
        refuse(why);
        continue;
      }
      const fs::path rel = fs::path(name).lexically_normal();
      const fs::path target = dest / rel;
      std::error_code ec;
      if (archive_entry_filetype(entry) == AE_IFDIR) {
        if (fs::create_directories(target, ec); ec) {
          refuse(clash(dest, rel, ec.message()));
        }
        continue;
      }
      if (fs::create_directories(target.parent_path(), ec); ec) {
        refuse(clash(dest, rel, ec.message()));
        continue;
      }
      int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) {
        refuse(clash(dest, rel, std::strerror(errno)));
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
        if (entry_bytes > m_limits.max_entry_bytes) {
          ::close(fd);
          throw bomb(shown(name) + " alone is over " + size_text(m_limits.max_entry_bytes));
        }
        if (m_out.bytes > m_limits.max_total_bytes) {
          ::close(fd);
          throw bomb("the submission passed " + size_text(m_limits.max_total_bytes) + " in all");
        }
        if (static_cast<double>(unpacked) > m_limits.max_ratio * static_cast<double>(packed) + (1 << 20)) {
          ::close(fd);
          std::ostringstream ratio;
          ratio << m_limits.max_ratio;
          throw bomb("more than " + ratio.str() + " times its own size");
        }
        if (::write(fd, buf, size) != static_cast<ssize_t>(size)) {
          ::close(fd);
          throw Error("cannot write " + target.string() + " while unpacking: " + std::strerror(errno));
        }
      }
      ::close(fd);
      if (data_rc != ARCHIVE_EOF) {
        refuse(shown(error_of(a.get())));
        fs::remove(target, ec);
        continue;
      }
      ++m_out.files;
      if (is_archive(target)) {
        nested.push_back(rel);
      }
    }
    if (rc != ARCHIVE_EOF) {
      throw Unpackable("is damaged: " + shown(error_of(a.get())));
    }
    for (const auto& rel : nested) {
      extract_nested(dest / rel, where + shown(rel.string()), depth + 1);
    }
  }

private:
  // Opens an archive found inside another into "<name>.contents/" beside it. One that
  // cannot be unpacked is refused on its own, with nothing of it left behind, so the rest of
  // the submission is still graded.
  void extract_nested(const fs::path& inner, const std::string& label, int depth)
  {
    if (depth > m_limits.max_depth) {
      m_out.refused.push_back(label + ": archive nested more than " + std::to_string(m_limits.max_depth) +
                              " deep, not opened");
      return;
    }
    const fs::path contents = inner.parent_path() / (inner.filename().string() + ".contents");
    std::error_code ec;
    if (fs::exists(fs::symlink_status(contents, ec))) {
      m_out.refused.push_back(label + ": archive not opened: another entry is named " +
                              shown(contents.filename().string()));
      return;
    }
    const auto files = m_out.files;
    const auto refused = m_out.refused.size();
    try {
      extract(inner, contents, label + ": ", depth);
    } catch (const Unpackable& e) {
      fs::remove_all(contents, ec);
      m_out.files = files;
      m_out.refused.resize(refused);
      m_out.refused.push_back(label + ": archive not opened: it " + e.what());
    }
  }

  const ExtractLimits& m_limits;
  Extraction& m_out;
  std::size_t m_entries = 0;
};

} // namespace

bool is_archive(const fs::path& path)
{
  const std::string name = util::to_lower(path.filename().string());
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
    Extractor(limits, out).extract(archive, dest, "", 1);
  } catch (const Unpackable& e) {
    std::error_code ec;
    fs::remove_all(dest, ec);
    throw Error("the archive " + shown(archive.filename().string()) + " " + e.what());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dest, ec);
    throw;
  }
  return out;
}

} // namespace kmgrade::intake
