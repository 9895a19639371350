// Real archives, written with libarchive as a zip tool would, fed to the extractor.

#include "intake/archive.h"
#include "intake/submission.h"
#include "util/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

namespace fs = std::filesystem;
using namespace kmgrade;

namespace {

struct Entry
{
  Entry(std::string n, std::string d, mode_t t = AE_IFREG, std::string l = {})
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l))
  {}
  std::string name;
  std::string data;
  mode_t type;
  std::string link;     // symlink target
  std::string hardlink; // hard link target
};

Entry hard_link(std::string name, std::string target)
{
  Entry e(std::move(name), "");
  e.hardlink = std::move(target);
  return e;
}

enum class Format { zip, tar_gz, gnutar, zipcrypt, aes256 };

void write_archive(const fs::path& path, const std::vector<Entry>& entries, Format format = Format::zip)
{
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  switch (format) {
    case Format::tar_gz:
      archive_write_set_format_pax_restricted(a.get());
      archive_write_add_filter_gzip(a.get());
      break;
    case Format::gnutar:
      archive_write_set_format_gnutar(a.get());
      break;
    case Format::zip:
    case Format::zipcrypt:
    case Format::aes256:
      archive_write_set_format_zip(a.get());
      break;
  }
  if (format == Format::zipcrypt || format == Format::aes256) {
    ASSERT_EQ(archive_write_set_options(a.get(), format == Format::zipcrypt ? "zip:encryption=zipcrypt"
                                                                            : "zip:encryption=aes256"),
              ARCHIVE_OK)
      << archive_error_string(a.get());
    ASSERT_EQ(archive_write_set_passphrase(a.get(), "secret"), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_open_filename(a.get(), path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_filetype(entry.get(), e.type);
    archive_entry_set_perm(entry.get(), 0644);
    if (!e.link.empty()) {
      archive_entry_set_symlink(entry.get(), e.link.c_str());
    }
    if (!e.hardlink.empty()) {
      archive_entry_set_hardlink(entry.get(), e.hardlink.c_str());
    }
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.type == AE_IFREG ? e.data.size() : 0));
    // A name libarchive cannot convert is still written as is, with a warning.
    ASSERT_GE(archive_write_header(a.get(), entry.get()), ARCHIVE_WARN) << archive_error_string(a.get());
    if (e.type == AE_IFREG && !e.data.empty()) {
      archive_write_data(a.get(), e.data.data(), e.data.size());
    }
  }
  archive_write_close(a.get());
}

// Bytes no compressor can shrink, so a cap on size trips before the cap on ratio.
std::string noise(std::size_t n)
{
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

std::string read_text(const fs::path& path)
{
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file and folder below `root`, relative to it, in order.
std::vector<std::string> tree(const fs::path& root)
{
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    out.push_back(fs::relative(e.path(), root).string() + (e.is_directory() ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string bomb_error(const std::string& archive, const std::string& cap)
{
  return "the archive " + archive + " unpacks to more than the limits allow (" + cap +
         "): it looks like a zip bomb, or it holds far more than three source files";
}

// The message of the Error that extracting `archive` throws, or "" when it does not throw.
std::string extract_error(const fs::path& archive, const fs::path& dest, const intake::ExtractLimits& limits = {})
{
  try {
    intake::extract_archive(archive, dest, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class ArchiveTest : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_dir = fs::temp_directory_path() / ("kmgrade-archive-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

} // namespace

TEST_F(ArchiveTest, RefusesEntriesThatEscapeOrAreNotPlainFiles)
{
  const auto zip = m_dir / "student.zip";
  write_archive(zip, {{"lab5/page_alloc.c", "int x;\n"},
                      {"../escaped.c", "evil\n"},
                      {"lab5/../../escaped2.c", "evil\n"},
                      {"/tmp/absolute.c", "evil\n"},
                      {"lab5/passwd", "", AE_IFLNK, "/etc/passwd"}});
  auto out = intake::extract_archive(zip, m_dir / "x");
  EXPECT_EQ(out.files, 1u);
  EXPECT_EQ(read_text(m_dir / "x" / "lab5" / "page_alloc.c"), "int x;\n");
  std::vector<std::string> expected = {"../escaped.c: path leads outside the submission (..)",
                                       "lab5/../../escaped2.c: path leads outside the submission (..)",
                                       "/tmp/absolute.c: absolute path", "lab5/passwd: symbolic link to /etc/passwd"};
  EXPECT_EQ(out.refused, expected);
  EXPECT_FALSE(fs::exists(m_dir / "escaped.c"));
  EXPECT_FALSE(fs::exists(m_dir / "escaped2.c"));
  EXPECT_FALSE(fs::exists(m_dir / "x" / "lab5" / "passwd"));
}

TEST_F(ArchiveTest, AZipBombStopsWithAClearErrorAndLeavesNothing)
{
  const auto zip = m_dir / "bomb.zip";
  write_archive(zip, {{"page_alloc.c", "int x;\n"}, {"zeros.c", std::string(40u << 20, '\0')}});
  EXPECT_EQ(extract_error(zip, m_dir / "x"), bomb_error("bomb.zip", "more than 200 times its own size"));
  EXPECT_FALSE(fs::exists(m_dir / "x"));
}

TEST_F(ArchiveTest, EachCapOnSizeIsNamed)
{
  const auto big = m_dir / "big.zip";
  write_archive(big, {{"small.c", noise(900)}, {"big.c", noise(1001)}});
  intake::ExtractLimits limits;
  limits.max_entry_bytes = 1000;
  EXPECT_EQ(extract_error(big, m_dir / "x", limits), bomb_error("big.zip", "big.c alone is over 1000 bytes"));
  limits = {};
  limits.max_total_bytes = 1500;
  EXPECT_EQ(extract_error(big, m_dir / "x", limits), bomb_error("big.zip", "the submission passed 1500 bytes in all"));
  limits = {};
  limits.max_ratio = 0.5;
  const auto ratio = m_dir / "ratio.tar.gz";
  write_archive(ratio, {{"a.c", std::string((1u << 20) + 4096, 'a')}}, Format::tar_gz);
  EXPECT_EQ(extract_error(ratio, m_dir / "x", limits), bomb_error("ratio.tar.gz", "more than 0.5 times its own size"));
  EXPECT_FALSE(fs::exists(m_dir / "x"));
}

TEST_F(ArchiveTest, TooManyEntriesIsAnErrorWhateverTheEntries)
{
  intake::ExtractLimits limits;
  limits.max_entries = 5;
  std::vector<Entry> files;
  std::vector<Entry> bad_names;
  for (int i = 0; i < 6; ++i) {
    files.emplace_back("f" + std::to_string(i) + ".c", "x");
    bad_names.emplace_back("f\xe9" + std::to_string(i) + ".c", "x");
  }
  write_archive(m_dir / "many.zip", files);
  EXPECT_EQ(extract_error(m_dir / "many.zip", m_dir / "x", limits), "the archive many.zip holds more than 5 entries");
  write_archive(m_dir / "names.zip", bad_names);
  EXPECT_EQ(extract_error(m_dir / "names.zip", m_dir / "x", limits), "the archive names.zip holds more than 5 entries");
  EXPECT_FALSE(fs::exists(m_dir / "x"));
}

TEST_F(ArchiveTest, ADamagedArchiveIsAnError)
{
  const auto zip = m_dir / "broken.zip";
  std::ofstream(zip) << "PK\x03\x04 this is not really a zip";
  EXPECT_EQ(extract_error(zip, m_dir / "x"), "the archive broken.zip is damaged: Truncated ZIP file header");
  std::ofstream(m_dir / "empty.tar.gz");
  EXPECT_EQ(extract_error(m_dir / "empty.tar.gz", m_dir / "x"),
            "the archive empty.tar.gz cannot be opened: Unrecognized archive format");
}

TEST_F(ArchiveTest, TarLinksDevicesAndFifosAreRefused)
{
  const auto tar = m_dir / "student.tar";
  write_archive(tar,
                {{"page_alloc.c", "int x;\n"},
                 hard_link("passwd", "/etc/passwd"),
                 hard_link("same.c", "page_alloc.c"),
                 {"shadow", "", AE_IFLNK, "../../etc/shadow"},
                 {"null", "", AE_IFCHR},
                 {"sda", "", AE_IFBLK},
                 {"pipe", "", AE_IFIFO}},
                Format::gnutar);
  auto out = intake::extract_archive(tar, m_dir / "x");
  std::vector<std::string> expected = {"passwd: hard link to /etc/passwd",
                                       "same.c: hard link to page_alloc.c",
                                       "shadow: symbolic link to ../../etc/shadow",
                                       "null: character device",
                                       "sda: block device",
                                       "pipe: FIFO"};
  EXPECT_EQ(out.refused, expected);
  EXPECT_EQ(tree(m_dir / "x"), std::vector<std::string>{"page_alloc.c"});
}

TEST_F(ArchiveTest, ASocketIsRefused)
{
  // No libarchive writer stores a socket, but a zip's Unix mode can say one: set it by hand.
  const auto zip = m_dir / "socket.zip";
  write_archive(zip, {{"agent.sock", ""}});
  std::string bytes = read_text(zip);
  const auto central = bytes.find("PK\x01\x02");
  ASSERT_NE(central, std::string::npos);
  const std::uint32_t mode = (AE_IFSOCK | 0644u) << 16;
  for (int i = 0; i < 4; ++i) {
    bytes[central + 38 + static_cast<std::size_t>(i)] = static_cast<char>(mode >> (8 * i));
  }
  std::ofstream(zip, std::ios::binary) << bytes;
  auto out = intake::extract_archive(zip, m_dir / "x");
  EXPECT_EQ(out.refused, std::vector<std::string>{"agent.sock: socket"});
  EXPECT_TRUE(tree(m_dir / "x").empty());
}

TEST_F(ArchiveTest, EncryptedEntriesAreRefused)
{
  for (auto format : {Format::zipcrypt, Format::aes256}) {
    const auto zip = m_dir / "secret.zip";
    write_archive(zip, {{"page_alloc.c", "int x;\n"}}, format);
    auto out = intake::extract_archive(zip, m_dir / "x");
    EXPECT_EQ(out.refused, std::vector<std::string>{"page_alloc.c: encrypted (submit it without a password)"});
    EXPECT_EQ(out.files, 0u);
    EXPECT_TRUE(tree(m_dir / "x").empty());
    fs::remove_all(m_dir / "x");
  }
}

TEST_F(ArchiveTest, NamesThatAreNotUtf8AreRefusedAndShownEscaped)
{
  const std::string not_utf8 = "lab5/caf\xe9\n.c";
  const std::string utf8 = "\xc3\x9c"
                           "bung 5/page_alloc.c"; // "Übung 5/", as Info-ZIP and tar store it
  for (auto format : {Format::zip, Format::tar_gz, Format::gnutar}) {
    const auto archive = m_dir / "student.archive";
    write_archive(archive, {{utf8, "int x;\n"}, {not_utf8, "evil\n"}}, format);
    auto out = intake::extract_archive(archive, m_dir / "x");
    std::vector<std::string> expected = {
      "lab5/caf\\xe9\\x0a.c: the name is not valid UTF-8 (rename it with plain letters, digits, - and _)"};
    EXPECT_EQ(out.refused, expected);
    EXPECT_EQ(read_text(m_dir / "x" / utf8), "int x;\n");
    EXPECT_NO_THROW(nlohmann::json(out.refused).dump());
    fs::remove_all(m_dir / "x");
  }
}

TEST_F(ArchiveTest, EntriesThatConflictWithEarlierOnesAreRefused)
{
  const auto tar = m_dir / "student.tar.gz";
  write_archive(tar,
                {{"page_alloc.c", "first\n"},
                 {"page_alloc.c", "second\n"},
                 {"a", "a file\n"},
                 {"a/b.c", "under a file\n"},
                 {"a", "", AE_IFDIR},
                 {"d/e.c", "in d\n"},
                 {"d", "a file over a folder\n"}},
                Format::tar_gz);
  auto out = intake::extract_archive(tar, m_dir / "x");
  std::vector<std::string> expected = {"page_alloc.c: conflicts with page_alloc.c, a file unpacked before it",
                                       "a/b.c: conflicts with a, a file unpacked before it",
                                       "a/: conflicts with a, a file unpacked before it",
                                       "d: conflicts with d, a folder unpacked before it"};
  EXPECT_EQ(out.refused, expected);
  EXPECT_EQ(read_text(m_dir / "x" / "page_alloc.c"), "first\n");
  EXPECT_EQ(tree(m_dir / "x"), (std::vector<std::string>{"a", "d/", "d/e.c", "page_alloc.c"}));
}

TEST_F(ArchiveTest, ANestedArchiveThatCannotBeUnpackedIsRefusedAndTheRestKept)
{
  write_archive(m_dir / "bomb.zip", {{"zeros.c", std::string(40u << 20, '\0')}});
  std::ofstream(m_dir / "broken.zip") << "PK\x03\x04 this is not really a zip";
  std::vector<Entry> many;
  for (int i = 0; i < 20; ++i) {
    many.emplace_back(fmt::format("f{}.c", i), "x");
  }
  write_archive(m_dir / "many.zip", many);
  write_archive(m_dir / "deepest.zip", {{"cache_alloc.c", "deepest\n"}});
  write_archive(m_dir / "deeper.zip", {{"deepest.zip", read_text(m_dir / "deepest.zip")}});
  write_archive(m_dir / "secret.zip", {{"cache_alloc.c", "secret\n"}}, Format::zipcrypt);
  write_archive(m_dir / "code.tar.gz", {{"kmem_alloc.c", "kmem\n"}, {"../escaped.c", "evil\n"}}, Format::tar_gz);
  const auto outer = m_dir / "student.zip";
  write_archive(outer, {{"page_alloc.c", "page\n"},
                        {"nested/bomb.zip", read_text(m_dir / "bomb.zip")},
                        {"broken.zip", read_text(m_dir / "broken.zip")},
                        {"deeper.zip", read_text(m_dir / "deeper.zip")},
                        {"secret.zip", read_text(m_dir / "secret.zip")},
                        {"code.tar.gz", read_text(m_dir / "code.tar.gz")},
                        {"taken.zip", read_text(m_dir / "deepest.zip")},
                        {"taken.zip.contents", "a file where the archive would go\n"},
                        {"many.zip", read_text(m_dir / "many.zip")}});
  intake::ExtractLimits limits;
  limits.max_entries = 30;
  auto out = intake::extract_archive(outer, m_dir / "x", limits);
  std::vector<std::string> expected = {
    "nested/bomb.zip: archive not opened: it unpacks to more than the limits allow (more than 200 times its own "
    "size): it looks like a zip bomb, or it holds far more than three source files",
    "broken.zip: archive not opened: it is damaged: Truncated ZIP file header",
    "deeper.zip: deepest.zip: archive nested more than 2 deep, not opened",
    "secret.zip: cache_alloc.c: encrypted (submit it without a password)",
    "code.tar.gz: ../escaped.c: path leads outside the submission (..)",
    "taken.zip: archive not opened: another entry is named taken.zip.contents",
    "many.zip: archive not opened: it takes the submission past 30 entries in all"};
  EXPECT_EQ(out.refused, expected);
  EXPECT_EQ(tree(m_dir / "x"),
            (std::vector<std::string>{"broken.zip", "code.tar.gz", "code.tar.gz.contents/",
                                      "code.tar.gz.contents/kmem_alloc.c", "deeper.zip", "deeper.zip.contents/",
                                      "deeper.zip.contents/deepest.zip", "many.zip", "nested/", "nested/bomb.zip",
                                      "page_alloc.c", "secret.zip", "taken.zip", "taken.zip.contents"}));
  EXPECT_EQ(out.files, 11u);
}

TEST_F(ArchiveTest, ANestedRefusalIsANoteAndTheSubmissionIsStillGraded)
{
  write_archive(m_dir / "bomb.zip", {{"zeros.c", std::string(40u << 20, '\0')}});
  const auto outer = m_dir / "student.zip";
  write_archive(outer, {{"page_alloc.c", "page\n"}, {"bomb.zip", read_text(m_dir / "bomb.zip")}});
  auto s = intake::open_submission(outer, {{"page_alloc.c", {}}}, m_dir / "scratch");
  ASSERT_EQ(s.files.count("page_alloc.c"), 1u);
  EXPECT_EQ(s.notes, std::vector<std::string>{"not unpacked from student.zip: bomb.zip: archive not opened: it "
                                              "unpacks to more than the limits allow (more than 200 times its own "
                                              "size): it looks like a zip bomb, or it holds far more than three "
                                              "source files"});
  EXPECT_FALSE(fs::exists(m_dir / "scratch" / "bomb.zip.contents"));
}

TEST_F(ArchiveTest, NestedArchiveIsOpenedAndGradedFilesAreFound)
{
  const auto inner = m_dir / "inner.tar.gz";
  write_archive(inner, {{"src/kmem_alloc.c", "kmem\n"}}, Format::tar_gz);
  const auto outer = m_dir / "Jane Doe_42_assignsubmission_file_.zip";
  write_archive(outer,
                {{"page_alloc.c", "page\n"}, {"code.tar.gz", read_text(inner)}, {"__MACOSX/._page_alloc.c", "x"}});
  auto s = intake::open_submission(outer, {{"page_alloc.c", {}}, {"kmem_alloc.c", {}}, {"cache_alloc.c", {}}},
                                   m_dir / "scratch");
  ASSERT_EQ(s.files.count("page_alloc.c"), 1u);
  ASSERT_EQ(s.files.count("kmem_alloc.c"), 1u);
  EXPECT_EQ(read_text(s.files["kmem_alloc.c"]), "kmem\n");
  EXPECT_EQ(fs::relative(s.files["kmem_alloc.c"], s.root), fs::path("code.tar.gz.contents/src/kmem_alloc.c"));
  EXPECT_EQ(s.files.count("cache_alloc.c"), 0u);
  EXPECT_EQ(s.notes, std::vector<std::string>{"cache_alloc.c was not found in the submission"});
}

TEST(Archive, RecognisesArchiveNames)
{
  EXPECT_TRUE(intake::is_archive("a.zip"));
  EXPECT_TRUE(intake::is_archive("A.ZIP"));
  EXPECT_TRUE(intake::is_archive("x.tar.gz"));
  EXPECT_TRUE(intake::is_archive("x.tgz"));
  EXPECT_TRUE(intake::is_archive("x.tar.xz"));
  EXPECT_FALSE(intake::is_archive("page_alloc.c"));
  EXPECT_FALSE(intake::is_archive(".zip"));
}

TEST_F(ArchiveTest, AGzipStreamCutBeforeItsEndIsAnError)
{
  // libarchive fails to open it without saying why.
  const auto cut = m_dir / "cut.tar.gz";
  const char gzip_without_trailer[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x01\x00\x00\xff\xff";
  std::ofstream(cut, std::ios::binary).write(gzip_without_trailer, sizeof gzip_without_trailer - 1);
  EXPECT_THROW(intake::extract_archive(cut, m_dir / "x"), Error);
  EXPECT_FALSE(fs::exists(m_dir / "x"));
}
