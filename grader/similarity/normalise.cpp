#include "similarity/normalise.h"

#include "util/text.h"

#include <cctype>

namespace kmgrade::similarity {

namespace {

constexpr std::size_t k_min_base_line = 10;

std::string collapse(std::string_view line)
{
  std::string out;
  bool space = false;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

bool starts_with_call(const std::string& line, const char* const* names)
{
  for (const char* const* n = names; *n; ++n) {
    const std::string_view name = *n;
    if (line.compare(0, name.size(), name) != 0) {
      continue;
    }
    auto rest = std::string_view(line).substr(name.size());
    // MODULE_ is a prefix: MODULE_LICENSE, MODULE_PARM_DESC, MODULE_IMPORT_NS ...
    if (name.back() == '_') {
      while (!rest.empty() && (std::isupper(static_cast<unsigned char>(rest.front())) || rest.front() == '_')) {
        rest.remove_prefix(1);
      }
    } else if (name == "module_param") {
      while (!rest.empty() && (std::isalnum(static_cast<unsigned char>(rest.front())) || rest.front() == '_')) {
        rest.remove_prefix(1);
      }
    }
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    if (!rest.empty() && rest.front() == '(') {
      return true;
    }
  }
  return false;
}

} // namespace

std::set<std::string> base_lines(const std::vector<std::string>& base_texts)
{
  std::set<std::string> out;
  for (const auto& text : base_texts) {
    for (auto line : util::split_lines(text)) {
      auto c = collapse(line);
      if (c.size() >= k_min_base_line) {
        out.insert(std::move(c));
      }
    }
  }
  return out;
}

std::string normalise_source(std::string_view text, const std::set<std::string>& base)
{
  static const char* const k_boilerplate[] = {"MODULE_",      "module_init",   "module_exit",
                                              "module_param", "EXPORT_SYMBOL", nullptr};
  std::string out;
  bool in_statement = false; // a boilerplate call that goes on to the next line
  bool in_directive = false; // a preprocessor line continued with a backslash
  for (auto line : util::split_lines(text)) {
    const auto c = collapse(line);
    bool drop = false;
    if (in_directive) {
      drop = true;
      in_directive = !c.empty() && c.back() == '\\';
    } else if (in_statement) {
      drop = true;
      in_statement = c.find(';') == std::string::npos && c.find(')') == std::string::npos;
    } else if (!c.empty() && c.front() == '#') {
      drop = true;
      in_directive = c.back() == '\\';
    } else if (starts_with_call(c, k_boilerplate)) {
      drop = true;
      in_statement = c.find(';') == std::string::npos && c.back() != ')';
    } else if (base.count(c) > 0) {
      drop = true;
    }
    if (!drop) {
      out += line;
    }
    out += '\n';
  }
  return out;
}

} // namespace kmgrade::similarity
