#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::similarity {

// Lines of the base files that do not count as a match: each trimmed, spaces collapsed;
// lines too short to mean anything ("}", "return 0;") are left out. Cannot fail.
std::set<std::string> base_lines(const std::vector<std::string>& base_texts);

// `text` with every line of kernel-module boilerplate (#include and other preprocessor lines,
// MODULE_LICENSE/AUTHOR/DESCRIPTION/..., module_init/exit, module_param) and every line found
// in `base` replaced by an empty line: line numbers stay those of the file as handed in.
// Cannot fail.
std::string normalise_source(std::string_view text, const std::set<std::string>& base);

} // namespace kmgrade::similarity
