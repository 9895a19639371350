// What a module makes the kernel log: /dev/kmsg records as the agent reads them, and
// console lines as the grader classifies them.

#include "check.h"
#include "observe/head_and_tail.h"
#include "observe/kernel_log.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace kmgrade::observe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto rec = parse_kmsg_record(input)) {
    check(rec->level >= 0 && rec->level <= 7, "level outside 0..7");
    check(rec->text.find('\n') == std::string::npos, "record text spans lines");
    check(to_string(classify_log_line(rec->text)) != nullptr, "trouble without a name");
  }

  std::vector<LogRecord> lines;
  std::size_t start = 0;
  while (start <= input.size()) {
    auto end = input.find('\n', start);
    if (end == std::string_view::npos) {
      end = input.size();
    }
    LogRecord rec;
    rec.text = std::string(input.substr(start, end - start));
    check(to_string(classify_log_line(rec.text)) != nullptr, "trouble without a name");
    lines.push_back(std::move(rec));
    start = end + 1;
  }
  const std::size_t before = lines.size();
  const std::size_t max_lines = size > 0 ? data[0] % 16 : 0;
  const std::size_t dropped = HeadAndTail{max_lines, max_lines / 2}.cap(lines);
  check(lines.size() == std::min(before, max_lines), "kept the wrong number of lines");
  check(dropped == before - lines.size(), "dropped count does not add up");
  return 0;
}
