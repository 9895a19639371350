#include "intake/submission.h"

#include "intake/archive.h"
#include "util/error.h"
#include "util/sha256.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kmgrade::intake {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ignored(const fs::path& rel)
{
  for (const auto& part : rel) {
    const std::string p = part.string();
    if (p == "__MACOSX" || p.rfind("._", 0) == 0 || p == ".git") {
      return true;
    }
  }
  return false;
}

} // namespace

Submission open_submission(const fs::path& path, const std::vector<std::string>& wanted, const fs::path& scratch)
{
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return locate_files(path, wanted);
  }
  if (!fs::is_regular_file(path, ec) || !is_archive(path)) {
    throw Error("cannot grade " + path.string() + ": give a folder, or a .zip, .tar, .tar.gz or .tar.xz archive, "
                "holding page_alloc.c, kmem_alloc.c and cache_alloc.c");
  }
  fs::remove_all(scratch, ec);
  auto extraction = extract_archive(path, scratch);
  Submission s = locate_files(scratch, wanted);
  for (const auto& why : extraction.refused) {
    s.notes.push_back("not unpacked from " + path.filename().string() + ": " + why);
  }
  return s;
}

Submission locate_files(const fs::path& root, const std::vector<std::string>& wanted)
{
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw Error("cannot grade " + root.string() + ": not a folder (give the folder that holds page_alloc.c, "
                "kmem_alloc.c and cache_alloc.c)");
  }
  Submission s;
  s.root = fs::absolute(root);
  std::map<std::string, std::vector<fs::path>> candidates;
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
    const std::string name = lower(it->path().filename().string());
    for (const auto& w : wanted) {
      if (name == lower(w)) {
        candidates[w].push_back(rel);
      }
    }
  }
  std::string digest_input;
  for (const auto& w : wanted) {
    auto it = candidates.find(w);
    if (it == candidates.end()) {
      s.notes.push_back(w + " was not found in the submission");
      continue;
    }
    auto& paths = it->second;
    std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) {
      auto da = std::distance(a.begin(), a.end());
      auto db = std::distance(b.begin(), b.end());
      return da != db ? da < db : a < b;
    });
    if (paths.size() > 1) {
      s.notes.push_back(w + ": " + std::to_string(paths.size()) + " candidates; graded " + paths.front().string() +
                        " (the shallowest path, then alphabetical order)");
    }
    s.files[w] = s.root / paths.front();
    std::ifstream in(s.files[w], std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    digest_input += w + '\0' + ss.str() + '\0';
  }
  s.sha256 = util::sha256_hex(digest_input);
  return s;
}

} // namespace kmgrade::intake
