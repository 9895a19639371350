#include "batch/progress_board.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace kmgrade::batch {

namespace {

constexpr double k_eta_after_s = 20;
constexpr std::size_t k_bar_width = 16;

// The first `width` columns of `line`, counting each UTF-8 character as one.
std::string fit(const std::string& line, std::size_t width)
{
  std::size_t columns = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80 && columns++ == width) {
      return line.substr(0, i);
    }
  }
  return line;
}

} // namespace

std::string format_duration(double seconds)
{
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) {
    return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  }
  return s >= 60 ? fmt::format("{}m{:02}s", s / 60, s % 60) : fmt::format("{}s", s);
}

double stage_fraction(std::string_view stage)
{
  // "load K of N": the loads run from a quarter of a grade to nearly all of it.
  if (stage.substr(0, 5) == "load ") {
    unsigned done = 0;
    unsigned total = 0;
    const auto of = stage.find(" of ");
    if (of != std::string_view::npos) {
      std::from_chars(stage.data() + 5, stage.data() + of, done);
      std::from_chars(stage.data() + of + 4, stage.data() + stage.size(), total);
    }
    return total > 0 ? 0.25 + 0.7 * std::min(done, total) / total : 0.25;
  }
  if (stage == "building") {
    return 0.05;
  }
  if (stage == "booting") {
    return 0.15;
  }
  if (stage == "checking") {
    return 0.95;
  }
  return 0;
}

std::optional<double> eta_seconds(const BoardState& state)
{
  double progressed = static_cast<double>(state.done - state.skipped);
  for (const auto& s : state.running) {
    progressed += stage_fraction(s.stage);
  }
  if (state.elapsed_s < k_eta_after_s || progressed <= 0) {
    return std::nullopt;
  }
  const double left = static_cast<double>(state.total - state.skipped) - progressed;
  return std::max(0.0, left) * state.elapsed_s / progressed;
}

std::vector<std::string> render_board(const BoardState& state, std::size_t width)
{
  const std::size_t filled = state.total ? k_bar_width * state.done / state.total : 0;
  const auto eta = eta_seconds(state);
  std::vector<std::string> lines;
  lines.push_back(fit(fmt::format("{}[{}{}] {}/{} done, {} running, {} failed, elapsed {}, ETA {}",
                                  state.stopping ? "stopping: " : "", std::string(filled, '#'),
                                  std::string(k_bar_width - filled, '.'), state.done, state.total, state.running.size(),
                                  state.failed, format_duration(state.elapsed_s), eta ? format_duration(*eta) : "-"),
                      width));
  for (const auto& s : state.running) {
    lines.push_back(fit(fmt::format("  {}: {}, {}", terminal_safe(s.label), s.stage.empty() ? "starting" : s.stage,
                                    format_duration(s.seconds)),
                        width));
  }
  return lines;
}

std::string terminal_safe(std::string_view text)
{
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // C0, DEL, and the C1 controls U+0080..U+009F (0xC2 0x80..0x9F in UTF-8), CSI among them.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0 &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80) {
      out += '?';
      ++i;
    } else {
      out += c < 0x20 || c == 0x7f ? '?' : text[i];
    }
  }
  return out;
}

} // namespace kmgrade::batch
