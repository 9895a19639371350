#include "build/module_build.h"

#include "observe/numbers.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/text.h"

#include <libkmod.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace kmgrade::build {

namespace fs = std::filesystem;

namespace {

// Maps the old time APIs onto their 64-bit replacements, so the logic of code written for
// 5.x kernels can still be graded on 6.x.
constexpr const char* k_compat_header = R"(/* kmgrade: old kernel time APIs on a current kernel */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/time64.h>
#define timespec timespec64
#define timeval __kernel_old_timeval
#define timespec_sub timespec64_sub
#define timespec_to_ns timespec64_to_ns
#define ns_to_timespec ns_to_timespec64
static inline void getnstimeofday(struct timespec64 *ts) { ktime_get_real_ts64(ts); }
static inline void getrawmonotonic(struct timespec64 *ts) { ktime_get_raw_ts64(ts); }
static inline void do_gettimeofday(struct __kernel_old_timeval *tv)
{
	struct timespec64 ts;
	ktime_get_real_ts64(&ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}
)";

void write_text(const fs::path& path, const std::string& text)
{
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw Error("cannot write " + path.string() + ": check that the scratch folder is writable");
  }
}

struct KbuildRun
{
  bool ok = false;
  std::string stopped;
  std::string output;
};

// Why a build hit one of its limits, from how it ended and what the tools said as they died.
std::string stop_reason(const util::ProcessResult& r, const BuildLimits& limits)
{
  if (r.timed_out) {
    return "it ran past its " + std::to_string(limits.wall.count()) + " s time limit";
  }
  if (r.output.find("CPU time limit exceeded") != std::string::npos) {
    return "a compiler process used up its " + std::to_string(limits.cpu_seconds) + " s of CPU time";
  }
  for (const char* said : {"out of memory allocating", "virtual memory exhausted", "Cannot allocate memory"}) {
    if (r.output.find(said) != std::string::npos) {
      return "the compiler needed more than its " + std::to_string(limits.memory_bytes >> 20) + " MiB of memory";
    }
  }
  if (r.output.find("File size limit exceeded") != std::string::npos) {
    return "it wrote a file larger than " + std::to_string(limits.file_bytes >> 20) + " MiB";
  }
  return "";
}

// The submission's folders and included files, under this folder of the build's.
constexpr const char* k_submission_copy = "submission";
// A link to the copy of the source's own folder, searched for `#include "..."` right after
// the folder of the file itself, so a name relative to the source finds what it names: a
// link, because the folder's own name may hold spaces or quotes that make would split.
constexpr const char* k_source_folder = "submission-source-folder";

// Writes the included files, `texts` in the order of options.includes, where the source's
// includes find them from `source_folder` (relative to the submission); true when there are any.
bool place_includes(const fs::path& source_folder, const std::vector<std::string>& texts, const BuildOptions& options)
{
  if (options.includes.empty()) {
    return false;
  }
  const fs::path copy = options.scratch / k_submission_copy;
  std::error_code ec;
  fs::create_directories(copy / source_folder, ec);
  for (std::size_t i = 0; i < options.includes.size(); ++i) {
    fs::create_directories((copy / options.includes[i]).parent_path(), ec);
    write_text(copy / options.includes[i], texts[i]);
  }
  fs::create_directory_symlink(fs::path(k_submission_copy) / source_folder, options.scratch / k_source_folder, ec);
  if (ec) {
    throw Error("cannot link " + (options.scratch / k_source_folder).string() + ": " + ec.message() +
                " (check that the scratch folder is writable)");
  }
  return true;
}

KbuildRun run_kbuild(const fs::path& dir, const std::string& module_name, const std::string& object, bool with_compat,
                     bool with_includes, const BuildOptions& options)
{
  std::string kbuild = "obj-m += " + module_name + ".o\n" + module_name + "-y := " + object + ".o\n";
  if (with_includes) {
    kbuild += std::string("ccflags-y += -iquote $(src)/") + k_source_folder + "\n";
  }
  if (with_compat) {
    kbuild += "ccflags-y += -include $(src)/kmgrade_compat.h\n";
    write_text(dir / "kmgrade_compat.h", k_compat_header);
  }
  write_text(dir / "Kbuild", kbuild);
  util::ProcessOptions popts;
  popts.timeout = options.limits.wall;
  popts.max_output = options.limits.output_bytes;
  popts.limits = {options.limits.cpu_seconds, options.limits.memory_bytes, options.limits.file_bytes};
  std::error_code ec;
  const fs::path headers = fs::canonical(options.kernel_build_dir, ec);
  if (ec) {
    throw Error("the kernel headers " + options.kernel_build_dir.string() + " are not there: " + ec.message() +
                " (install that kernel's headers package, linux-headers-<version>, or run scripts/setup)");
  }
  auto r = util::run_process(
    sandboxed_command({"make", "-C", headers.string(), std::string("M=") + k_sandbox_scratch, "modules"}, headers, dir),
    popts);
  return {r.exit_code == 0 && fs::exists(dir / (module_name + ".ko")), stop_reason(r, options.limits), r.output};
}

} // namespace

std::vector<Diagnostic> parse_diagnostics(const std::string& output, const std::string& file_name)
{
  // "[dir/]file.c:12:5: error: message"; the file name is what follows the last '/' that
  // leaves a well-formed rest, as a greedy "(.*/)?" would take it.
  auto parse_at = [](std::string_view line, std::size_t from) -> std::optional<Diagnostic> {
    const std::size_t colon = line.find(':', from);
    if (colon == std::string_view::npos || colon == from) {
      return std::nullopt;
    }
    const std::string_view name = line.substr(from, colon - from);
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return c == '/' || std::isspace(static_cast<unsigned char>(c)); })) {
      return std::nullopt;
    }
    std::size_t i = colon + 1;
    auto number = [&]() -> std::optional<int> {
      const std::size_t start = i;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) {
        ++i;
      }
      if (i == start || i >= line.size() || line[i] != ':') {
        return std::nullopt;
      }
      // A #line directive can make the compiler print any line number: one too large is 0.
      const auto value = observe::parse_number<int>(line.substr(start, i - start)).value_or(0);
      ++i;
      return value;
    };
    const auto row = number();
    const auto column = row ? number() : std::nullopt;
    if (!column || line.substr(i, 1) != " ") {
      return std::nullopt;
    }
    for (std::string_view severity : {"fatal error", "error", "warning", "note"}) {
      const std::string_view rest = line.substr(i + 1);
      if (rest.substr(0, severity.size()) == severity && rest.substr(severity.size(), 2) == ": ") {
        return Diagnostic{std::string(name), *row, *column, severity == "fatal error" ? "error" : std::string(severity),
                          std::string(rest.substr(severity.size() + 2))};
      }
    }
    return std::nullopt;
  };
  std::vector<Diagnostic> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    std::optional<Diagnostic> found = parse_at(line, 0);
    for (auto slash = line.find('/'); slash != std::string::npos; slash = line.find('/', slash + 1)) {
      if (auto d = parse_at(line, slash + 1)) {
        found = std::move(d);
      }
    }
    if (found && found->file == file_name) {
      out.push_back(std::move(*found));
    }
  }
  return out;
}

std::vector<std::string> find_removed_apis(const std::string& source_text)
{
  static const std::set<std::string_view> k_functions = {"getnstimeofday", "do_gettimeofday", "getrawmonotonic",
                                                         "timespec_sub", "timespec_to_ns"};
  static const std::set<std::string_view> k_structs = {"timespec", "timeval"};
  std::vector<std::string> found;
  auto add = [&](std::string name) {
    if (std::find(found.begin(), found.end(), name) == found.end()) {
      found.push_back(std::move(name));
    }
  };
  const std::string_view text = source_text;
  std::size_t struct_end = std::string_view::npos; // just past the last "struct", if only spaces follow it
  util::for_each_word(text, [&](std::string_view word, std::size_t end) {
    if (k_functions.count(word)) {
      add(std::string(word));
    } else if (k_structs.count(word) && struct_end != std::string_view::npos &&
               util::skip_space(text, struct_end) == end - word.size() && struct_end < end - word.size()) {
      add("struct " + std::string(word));
    }
    struct_end = word == "struct" ? end : std::string_view::npos;
  });
  return found;
}

ModuleInfo read_module_info(const fs::path& ko)
{
  ModuleInfo info;
  kmod_ctx* ctx = kmod_new(nullptr, nullptr);
  kmod_module* mod = nullptr;
  if (!ctx || kmod_module_new_from_path(ctx, ko.c_str(), &mod) < 0) {
    kmod_unref(ctx);
    return info;
  }
  kmod_list* list = nullptr;
  if (kmod_module_get_info(mod, &list) >= 0) {
    kmod_list* it = nullptr;
    kmod_list_foreach(it, list)
    {
      std::string key = kmod_module_info_get_key(it);
      std::string value = kmod_module_info_get_value(it) ? kmod_module_info_get_value(it) : "";
      if (key == "license") {
        info.license = value;
      } else if (key == "parmtype") {
        auto colon = value.find(':');
        info.params.emplace_back(value.substr(0, colon), colon == std::string::npos ? "" : value.substr(colon + 1));
      }
    }
    kmod_module_info_free_list(list);
  }
  kmod_list* symbols = nullptr;
  if (kmod_module_get_dependency_symbols(mod, &symbols) >= 0) {
    kmod_list* it = nullptr;
    kmod_list_foreach(it, symbols)
    {
      if (const char* name = kmod_module_dependency_symbol_get_symbol(it)) {
        info.imports.emplace_back(name);
      }
    }
    kmod_module_dependency_symbols_free_list(symbols);
  }
  kmod_module_unref(mod);
  kmod_unref(ctx);
  return info;
}

ModuleBuild build_module(const fs::path& source, const std::string& module_name, const BuildOptions& options)
{
  ModuleBuild result;
  result.module_name = module_name;
  std::error_code ec;
  fs::remove_all(options.scratch, ec);
  fs::create_directories(options.scratch, ec);
  if (ec) {
    throw Error("cannot create the build folder " + options.scratch.string() + ": " + ec.message());
  }
  // The object must not share the module's name, and Kbuild wants a plain C file name.
  const std::string object = "student_" + module_name;
  const std::string file_name = object + ".c";
  const std::string text = util::read_file(source);
  write_text(options.scratch / file_name, text);
  const fs::path source_folder = source.lexically_relative(options.submission_root).parent_path();
  std::vector<std::string> include_texts;
  for (const auto& rel : options.includes) {
    include_texts.push_back(util::read_file(options.submission_root / rel));
    result.includes.push_back(rel.lexically_relative(source_folder).string());
  }
  const bool with_includes = place_includes(source_folder, include_texts, options);

  auto as_written = run_kbuild(options.scratch, module_name, object, false, with_includes, options);
  result.stopped = as_written.stopped;
  result.log = as_written.output;
  result.diagnostics = parse_diagnostics(as_written.output, file_name);
  for (auto& d : result.diagnostics) {
    d.file = source.filename().string();
  }
  // What the compiler said of an included file is the student's to read too.
  for (std::size_t i = 0; i < options.includes.size(); ++i) {
    for (auto& d : parse_diagnostics(as_written.output, options.includes[i].filename().string())) {
      d.file = result.includes[i];
      result.diagnostics.push_back(std::move(d));
    }
  }
  result.ok = as_written.ok;
  std::string all_text = text;
  for (const auto& included : include_texts) {
    all_text += "\n" + included;
  }
  result.removed_apis = find_removed_apis(all_text);
  if (options.compat_header && !result.ok && result.stopped.empty() && !result.removed_apis.empty()) {
    result.shimmed = run_kbuild(options.scratch, module_name, object, true, with_includes, options).ok;
  }
  if (result.ok || result.shimmed) {
    result.ko = options.scratch / (module_name + ".ko");
    result.info = read_module_info(result.ko);
  }
  return result;
}

} // namespace kmgrade::build
