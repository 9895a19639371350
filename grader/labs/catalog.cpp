#include "labs/catalog.h"

#include "intake/file_names.h"
#include "util/error.h"
#include "util/text.h"

#include <algorithm>

namespace kmgrade::labs {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> lab_files(const fs::path& dir)
{
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json" && it->is_regular_file(ec)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string file_list(const score::Rubric& lab)
{
  std::string out;
  for (const auto& m : lab.modules) {
    out += (out.empty() ? "" : ", ") + m.file;
  }
  return out;
}

std::string described(const std::vector<score::Rubric>& labs)
{
  std::string out;
  for (const auto& lab : labs) {
    out += (out.empty() ? "" : "; ") + lab.id + " (" + file_list(lab) + ")";
  }
  return out;
}

} // namespace

std::vector<score::Rubric> list_labs(const fs::path& dir)
{
  std::vector<score::Rubric> labs;
  for (const auto& file : lab_files(dir)) {
    labs.push_back(score::load_rubric(file));
    if (labs.back().id != file.stem().string()) {
      throw Error("invalid lab " + file.string() + ": its id is " + labs.back().id + ", and a lab in " + dir.string() +
                  " is named after its id (" + labs.back().id + ".json)");
    }
  }
  return labs;
}

fs::path find_lab(const std::string& given, const fs::path& dir)
{
  const bool is_path = given.find('/') != std::string::npos || fs::path(given).extension() == ".json";
  const fs::path path = is_path ? fs::path(given) : dir / (given + ".json");
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    return path;
  }
  if (is_path) {
    throw Error("--lab " + given + ": no such lab file", Error::Kind::usage);
  }
  throw Error("--lab " + given + ": kmgrade has no such lab; it has " + described(list_labs(dir)) +
                "; give the id of one of them, or the path of a lab file",
              Error::Kind::usage);
}

fs::path lab_for(const fs::path& submission, const fs::path& dir)
{
  const auto labs = list_labs(dir);
  if (labs.empty()) {
    throw Error("kmgrade has no labs in " + dir.string() + ": give one with --lab path/to/lab.json",
                Error::Kind::usage);
  }
  if (labs.size() == 1) {
    return dir / (labs.front().id + ".json");
  }
  const auto names = intake::file_names(submission);
  std::size_t best = 0;
  std::vector<const score::Rubric*> fitting;
  for (const auto& lab : labs) {
    std::size_t held = 0;
    for (const auto& m : lab.modules) {
      held += names.count(util::to_lower(m.file));
    }
    if (held > best) {
      best = held;
      fitting.clear();
    }
    if (held == best) {
      fitting.push_back(&lab);
    }
  }
  if (fitting.size() == 1) {
    return dir / (fitting.front()->id + ".json");
  }
  std::vector<score::Rubric> candidates;
  for (const auto* lab : fitting) {
    candidates.push_back(*lab);
  }
  throw Error(submission.string() +
                (best == 0 ? " holds none of the files of kmgrade's labs: " : " holds files of more than one lab: ") +
                described(candidates) + "; say which lab with --lab ID",
              Error::Kind::usage);
}

} // namespace kmgrade::labs
