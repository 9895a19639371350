#include "intake/moodle.h"

#include "intake/archive.h"
#include "util/error.h"

#include <algorithm>
#include <map>
#include <regex>

namespace kmgrade::intake {

namespace fs = std::filesystem;

bool parse_moodle_folder(const std::string& name, Student& out, bool& is_file_submission)
{
  static const std::regex k_moodle(R"(^(.*)_(\d+)_assignsubmission_(file|onlinetext)_?$)");
  std::smatch m;
  if (!std::regex_match(name, m, k_moodle)) {
    return false;
  }
  out.id = m[2];
  out.full_name = m[1] == "Participant" ? "Participant " + out.id : std::string(m[1]);
  is_file_submission = m[3] == "file";
  return true;
}

std::vector<Student> split_class(const fs::path& input, const fs::path& scratch)
{
  std::error_code ec;
  fs::path root = input;
  if (!fs::is_directory(input, ec)) {
    if (!fs::is_regular_file(input, ec) || !is_archive(input)) {
      throw Error("cannot read the class " + input.string() +
                  ": give Moodle's \"Download all submissions\" zip, or a folder of student folders");
    }
    // A class is many submissions with their reports and PDFs: far roomier caps, and
    // students' own archives are opened per student, not here.
    ExtractLimits limits;
    limits.max_total_bytes = 4ULL << 30;
    limits.max_entry_bytes = 512ULL << 20;
    limits.max_entries = 200000;
    limits.max_depth = 1;
    fs::remove_all(scratch, ec);
    extract_archive(input, scratch, limits);
    root = scratch;
  }
  std::map<std::string, Student> by_id;
  std::map<std::string, bool> has_file;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory(ec)) {
      continue;
    }
    const std::string name = entry.path().filename().string();
    if (name == "__MACOSX" || name.front() == '.') {
      continue;
    }
    Student s;
    bool file = true;
    if (!parse_moodle_folder(name, s, file)) {
      s.id = name;
      s.full_name = name;
    }
    s.folder = entry.path();
    auto it = by_id.find(s.id);
    if (it == by_id.end() || (file && !has_file[s.id])) {
      by_id[s.id] = s;
      has_file[s.id] = file;
    }
  }
  std::vector<Student> out;
  for (auto& [id, s] : by_id) {
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Student& a, const Student& b) {
    return a.id.size() != b.id.size() ? a.id.size() < b.id.size() : a.id < b.id;
  });
  if (out.empty()) {
    throw Error("no student folders in " + input.string() +
                ": expected Moodle's folders named \"<Full name>_<id>_assignsubmission_file_\"");
  }
  return out;
}

} // namespace kmgrade::intake
