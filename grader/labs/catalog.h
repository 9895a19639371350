#pragma once

#include "score/rubric.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::labs {

// The labs kmgrade has: every `<id>.json` in `dir` (the project's or the installation's
// `rubric/` folder), loaded and validated, by id. Throws Error naming the file of the first
// lab that is invalid.
std::vector<score::Rubric> list_labs(const std::filesystem::path& dir);

// The lab file `--lab` names: a path to a lab file (it holds a '/' or ends in ".json"), or
// the id of a lab in `dir`. Throws a usage Error naming what was given and, for an unknown
// id, the labs there are.
std::filesystem::path find_lab(const std::string& given, const std::filesystem::path& dir);

// The lab file of the lab in `dir` whose files `submission` (a student's folder or archive,
// or a class download) holds by name: the one lab with the most of its files there, or the
// only lab when it holds none. Throws a usage Error listing the candidates and their files
// when that leaves more than one.
std::filesystem::path lab_for(const std::filesystem::path& submission, const std::filesystem::path& dir);

} // namespace kmgrade::labs
