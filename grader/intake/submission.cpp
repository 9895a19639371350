#include "intake/submission.h"

#include "intake/archive.h"
#include "util/error.h"
#include "util/files.h"
#include "util/sha256.h"
#include "util/text.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace kmgrade::intake {

namespace fs = std::filesystem;

namespace {

// "a.c, b.c and c.c": the lab's files, for a message.
std::string file_names(const std::vector<WantedFile>& wanted)
{
  std::string out;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == wanted.size() ? " and " : ", ") + wanted[i].name;
  }
  return out;
}

// macOS metadata, hidden files and folders, editor backups.
bool ignored(const fs::path& rel)
{
  for (const auto& part : rel) {
    const std::string p = part.string();
    if (p == "__MACOSX" || p.front() == '.' || p.back() == '~' || p.front() == '#') {
      return true;
    }
  }
  return false;
}

bool shallow_first(const fs::path& a, const fs::path& b)
{
  auto da = std::distance(a.begin(), a.end());
  auto db = std::distance(b.begin(), b.end());
  return da != db ? da < db : a < b;
}

// Does `text` call every one of `calls` ("name(" with optional spaces)?
bool calls_all(const std::string& text, const std::vector<std::string>& calls)
{
  std::set<std::string_view> called;
  util::for_each_word(text, [&](std::string_view word, std::size_t end) {
    const std::size_t next = util::skip_space(text, end);
    if (next < text.size() && text[next] == '(') {
      called.insert(word);
    }
  });
  return std::all_of(calls.begin(), calls.end(), [&](const std::string& c) { return called.count(c) > 0; });
}

// The names of the `#include "name"` lines of `text`, in order.
std::vector<std::string> quoted_includes(std::string_view text)
{
  std::vector<std::string> names;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) {
      line_end = text.size();
    }
    const std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    std::size_t i = util::skip_space(line, 0);
    if (i >= line.size() || line[i] != '#') {
      continue;
    }
    i = util::skip_space(line, i + 1);
    constexpr std::string_view directive = "include";
    if (line.substr(i, directive.size()) != directive) {
      continue;
    }
    i = util::skip_space(line, i + directive.size());
    if (i >= line.size() || line[i] != '"') {
      continue;
    }
    const std::size_t close = line.find('"', i + 1);
    if (close != std::string_view::npos && close > i + 1) {
      names.emplace_back(line.substr(i + 1, close - i - 1));
    }
  }
  return names;
}

// `name` as included from the file `from` (both relative to `root`), when it is a regular
// file inside `root` reached through no link.
std::optional<fs::path> resolve_include(const fs::path& root, const fs::path& from, const std::string& name)
{
  const fs::path wanted(name);
  if (wanted.is_absolute() || name.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  const fs::path rel = (from.parent_path() / wanted).lexically_normal();
  if (rel.empty() || *rel.begin() == ".." || rel.is_absolute()) {
    return std::nullopt;
  }
  std::error_code ec;
  fs::path walked = root;
  fs::file_status status;
  for (const auto& part : rel) {
    walked /= part;
    status = fs::symlink_status(walked, ec);
    if (fs::is_symlink(status)) {
      return std::nullopt;
    }
  }
  if (ec || !fs::is_regular_file(status) || fs::file_size(walked, ec) > k_max_include_bytes || ec) {
    return std::nullopt;
  }
  return rel;
}

} // namespace

std::vector<fs::path> included_files(const fs::path& root, const fs::path& source)
{
  std::vector<fs::path> found;
  std::vector<fs::path> pending = {source};
  while (!pending.empty() && found.size() < k_max_includes) {
    const fs::path from = pending.back();
    pending.pop_back();
    for (const auto& name : quoted_includes(util::read_file(root / from))) {
      auto rel = resolve_include(root, from, name);
      if (!rel || *rel == source || std::find(found.begin(), found.end(), *rel) != found.end()) {
        continue;
      }
      if (found.size() == k_max_includes) {
        break;
      }
      found.push_back(*rel);
      pending.push_back(*rel);
    }
  }
  return found;
}

Submission open_submission(const fs::path& path, const std::vector<WantedFile>& wanted, const fs::path& scratch)
{
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    // A student's own archive inside their folder (one level of nesting is common): unpack
    // it beside a copy of the folder, so what is found lies under one root.
    std::vector<fs::path> archives;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        break;
      }
      if (it->is_regular_file(ec) && !it->is_symlink(ec) && is_archive(it->path()) &&
          !ignored(fs::relative(it->path(), path, ec))) {
        archives.push_back(fs::relative(it->path(), path, ec));
      }
    }
    if (archives.empty()) {
      return locate_files(path, wanted);
    }
    fs::remove_all(scratch, ec);
    fs::copy(path, scratch, fs::copy_options::recursive | fs::copy_options::skip_symlinks, ec);
    if (ec) {
      throw Error("cannot copy " + path.string() + " to unpack its archives: " + ec.message());
    }
    std::vector<std::string> notes;
    for (const auto& rel : archives) {
      try {
        auto extraction = extract_archive(scratch / rel, scratch / (rel.string() + ".contents"));
        for (const auto& why : extraction.refused) {
          notes.push_back("not unpacked from " + rel.string() + ": " + why);
        }
      } catch (const Error& e) {
        notes.push_back(std::string("could not open ") + rel.string() + ": " + e.what());
      }
    }
    Submission s = locate_files(scratch, wanted);
    s.notes.insert(s.notes.end(), notes.begin(), notes.end());
    return s;
  }
  if (!fs::is_regular_file(path, ec) || !is_archive(path)) {
    throw Error("cannot grade " + path.string() +
                ": give a folder, or a .zip, .tar, .tar.gz or .tar.xz archive, holding " + file_names(wanted));
  }
  fs::remove_all(scratch, ec);
  auto extraction = extract_archive(path, scratch);
  Submission s = locate_files(scratch, wanted);
  for (const auto& why : extraction.refused) {
    s.notes.push_back("not unpacked from " + path.filename().string() + ": " + why);
  }
  return s;
}

Submission locate_files(const fs::path& root, const std::vector<WantedFile>& wanted)
{
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw Error("cannot grade " + root.string() + ": not a folder (give the folder that holds " + file_names(wanted) +
                ")");
  }
  Submission s;
  s.root = fs::absolute(root);
  std::vector<fs::path> sources;    // every .c file, relative to root
  std::vector<std::string> reports; // PDFs: the written part a person grades
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      break;
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) {
      continue;
    }
    fs::path rel = fs::relative(it->path(), root, ec);
    if (ignored(rel)) {
      continue;
    }
    if (util::to_lower(rel.extension().string()) == ".c") {
      sources.push_back(rel);
    } else if (util::to_lower(rel.extension().string()) == ".pdf") {
      reports.push_back(rel.string());
    }
  }
  std::sort(sources.begin(), sources.end(), shallow_first);

  std::map<std::string, fs::path> chosen;
  std::set<fs::path> used;
  auto choose = [&](const std::string& name, const std::vector<fs::path>& fits, const std::string& how) {
    chosen[name] = fits.front();
    used.insert(fits.front());
    if (!how.empty()) {
      s.notes.push_back(name + ": graded " + fits.front().string() + ", " + how);
    }
    if (fits.size() > 1) {
      s.notes.push_back(name + ": " + std::to_string(fits.size()) + " candidates; graded " + fits.front().string() +
                        " (the shallowest path, then alphabetical order)");
    }
  };
  for (const auto& w : wanted) {
    std::vector<fs::path> fits;
    for (const auto& rel : sources) {
      if (util::to_lower(rel.filename().string()) == util::to_lower(w.name)) {
        fits.push_back(rel);
      }
    }
    if (!fits.empty()) {
      choose(w.name, fits, "");
    }
  }
  for (const auto& w : wanted) {
    if (chosen.count(w.name) || w.calls.empty()) {
      continue;
    }
    std::vector<fs::path> fits;
    for (const auto& rel : sources) {
      if (!used.count(rel) && calls_all(util::read_file(root / rel), w.calls)) {
        fits.push_back(rel);
      }
    }
    if (!fits.empty()) {
      std::string calls;
      for (const auto& c : w.calls) {
        calls += (calls.empty() ? "" : ", ") + c;
      }
      choose(w.name, fits, "recognised by what it calls (" + calls + ")");
    }
  }

  std::string digest_input;
  for (const auto& w : wanted) {
    auto it = chosen.find(w.name);
    if (it == chosen.end()) {
      s.notes.push_back(w.name + " was not found in the submission");
      continue;
    }
    s.files[w.name] = s.root / it->second;
    digest_input += w.name + '\0' + util::read_file(s.files[w.name]) + '\0';
    auto& includes = s.includes[w.name];
    includes = included_files(s.root, it->second);
    for (const auto& rel : includes) {
      digest_input += rel.string() + '\0' + util::read_file(s.root / rel) + '\0';
    }
  }
  s.sha256 = util::sha256_hex(digest_input);
  std::sort(reports.begin(), reports.end());
  for (const auto& pdf : reports) {
    s.notes.push_back("report for the manual part: " + pdf);
  }
  return s;
}

} // namespace kmgrade::intake
