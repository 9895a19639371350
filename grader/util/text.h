#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Scanning text a student wrote, or a tool printed about it, in one linear pass. std::regex
// is not used on such text: libstdc++'s matcher recurses once per character, and a line of
// 100k characters overflows the stack.
namespace kmgrade::util {

// `s` in lower case, ASCII letters only: how file names are compared case-insensitively.
inline std::string to_lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A character of a C identifier or of a \w word.
inline bool is_word_char(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// `text` without the white space at either end.
inline std::string_view trim(std::string_view text)
{
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// The index of the first character at or after `i` that is not white space.
inline std::size_t skip_space(std::string_view text, std::size_t i)
{
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
    ++i;
  }
  return i;
}

// Calls visit(word, end) for every maximal run of word characters, in order; `end` is the
// index just past the word.
template <typename F>
void for_each_word(std::string_view text, F&& visit)
{
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_word_char(text[i])) {
      ++i;
      continue;
    }
    const std::size_t from = i;
    while (i < text.size() && is_word_char(text[i])) {
      ++i;
    }
    visit(text.substr(from, i - from), i);
  }
}

// The lines of `text`, each without its line end ("\n" or "\r\n"); a last line end adds no
// empty line. The views point into `text`.
inline std::vector<std::string_view> split_lines(std::string_view text)
{
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    auto line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

} // namespace kmgrade::util
