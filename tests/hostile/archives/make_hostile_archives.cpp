// Writes the hostile student archives of the end-to-end corpus into OUT_DIR: the three
// correct lab files of SAMPLE_DIR beside entries that try to leave the scratch folder, zip
// bombs, and archives that cannot be read. <case>.expected.json beside this file lists the
// refusal each must cause.
//
//   make_hostile_archives SAMPLE_DIR OUT_DIR

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Entry
{
  Entry(std::string n, std::string d, mode_t t = AE_IFREG, std::string s = {}, std::string h = {})
      : name(std::move(n)), data(std::move(d)), type(t), symlink(std::move(s)), hardlink(std::move(h))
  {}
  std::string name;
  std::string data;
  mode_t type;
  std::string symlink;
  std::string hardlink;
};

enum class Format { zip, encrypted_zip, tar_gz };

std::string read_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string write_archive(const fs::path& path, const std::vector<Entry>& entries, Format format = Format::zip)
{
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  auto check = [&](int rc, const std::string& what) {
    // ARCHIVE_WARN: a name that is not UTF-8 is still written as is, which is the point.
    if (rc < ARCHIVE_WARN) {
      throw std::runtime_error(path.string() + ": " + what + ": " + archive_error_string(a.get()));
    }
  };
  if (format == Format::tar_gz) {
    check(archive_write_set_format_gnutar(a.get()), "tar");
    check(archive_write_add_filter_gzip(a.get()), "gzip");
  } else {
    check(archive_write_set_format_zip(a.get()), "zip");
  }
  if (format == Format::encrypted_zip) {
    check(archive_write_set_options(a.get(), "zip:encryption=zipcrypt"), "encryption");
    check(archive_write_set_passphrase(a.get(), "secret"), "passphrase");
  }
  check(archive_write_open_filename(a.get(), path.c_str()), "open");
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_filetype(entry.get(), e.type);
    archive_entry_set_perm(entry.get(), 0644);
    if (e.type == AE_IFCHR) {
      archive_entry_set_rdevmajor(entry.get(), 1);
      archive_entry_set_rdevminor(entry.get(), 3);
    }
    if (!e.symlink.empty()) {
      archive_entry_set_symlink(entry.get(), e.symlink.c_str());
    }
    if (!e.hardlink.empty()) {
      archive_entry_set_hardlink(entry.get(), e.hardlink.c_str());
    }
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.data.size()));
    check(archive_write_header(a.get(), entry.get()), e.name);
    if (!e.data.empty() && archive_write_data(a.get(), e.data.data(), e.data.size()) < 0) {
      check(ARCHIVE_FATAL, e.name);
    }
  }
  check(archive_write_close(a.get()), "close");
  return read_file(path);
}

// The correct lab files, which must still earn every point whatever lies beside them.
std::vector<Entry> lab_files(const fs::path& sample_dir)
{
  std::vector<Entry> files;
  for (const char* name : {"page_alloc.c", "kmem_alloc.c", "cache_alloc.c"}) {
    files.push_back({std::string("lab5/") + name, read_file(sample_dir / name)});
  }
  return files;
}

void escapes(const fs::path& sample_dir, const fs::path& out)
{
  auto entries = lab_files(sample_dir);
  const std::string marker = "/* planted by a hostile archive */\n";
  entries.push_back({"../../kmgrade-escaped.c", marker});
  entries.push_back({"/tmp/kmgrade-absolute.c", marker});
  entries.push_back({"lab5/passwd", "", AE_IFLNK, "/etc/passwd"});
  entries.push_back({"lab5/shadow", "", AE_IFREG, "", "/etc/passwd"});
  entries.push_back({"lab5/null", "", AE_IFCHR});
  entries.push_back({"lab5/pipe", "", AE_IFIFO});
  entries.push_back({"lab5/caf\xe9.c", marker});
  entries.push_back({"lab5/page_alloc.c", "this is not the first page_alloc.c\n"});
  entries.push_back({"lab5/notes", marker});
  entries.push_back({"lab5/notes/kmem_alloc.c", marker});
  write_archive(out / "escapes.tar.gz", entries, Format::tar_gz);
}

void bombs(const fs::path& sample_dir, const fs::path& out)
{
  const fs::path work = out / "bombs.parts";
  fs::create_directories(work);
  auto entries = lab_files(sample_dir);
  entries.push_back({"nested/bomb.zip", write_archive(work / "bomb.zip", {{"zeros.c", std::string(40u << 20, '\0')}})});
  entries.push_back({"nested/broken.zip", "PK\x03\x04 the start of a zip and nothing more"});
  const std::string deepest = write_archive(work / "deepest.zip", {{"cache_alloc.c", "three archives deep\n"}});
  entries.push_back({"nested/deep.zip", write_archive(work / "deep.zip", {{"deepest.zip", deepest}})});
  entries.push_back(
    {"nested/secret.zip",
     write_archive(work / "secret.zip", {{"kmem_alloc.c", "inside an encrypted entry\n"}}, Format::encrypted_zip)});
  std::vector<Entry> many;
  for (int i = 0; i <= 10000; ++i) {
    many.push_back({fmt::format("f{}.txt", i), "x"});
  }
  entries.push_back({"nested/many.zip", write_archive(work / "many.zip", many)});
  write_archive(out / "bombs.zip", entries);
  fs::remove_all(work);
}

void bomb(const fs::path& sample_dir, const fs::path& out)
{
  auto entries = lab_files(sample_dir);
  entries.push_back({"zeros.c", std::string(40u << 20, '\0')});
  write_archive(out / "bomb.zip", entries);
}

} // namespace

int main(int argc, char** argv)
{
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_hostile_archives SAMPLE_DIR OUT_DIR\n");
    return 2;
  }
  try {
    const fs::path sample_dir = argv[1];
    const fs::path out = argv[2];
    fs::create_directories(out);
    escapes(sample_dir, out);
    bombs(sample_dir, out);
    bomb(sample_dir, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_hostile_archives: %s\n", e.what());
    return 1;
  }
  return 0;
}
