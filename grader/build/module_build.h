#pragma once

#include "build/build_sandbox.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::build {

// One compiler diagnostic, located in the student's file.
struct Diagnostic
{
  std::string file;
  int line = 0;
  int column = 0;
  std::string severity; // "error", "warning", "note"
  std::string message;
};

// What modinfo says of a built .ko.
struct ModuleInfo
{
  std::string license;
  std::vector<std::pair<std::string, std::string>> params; // name, type ("count", "uint")
  std::vector<std::string> imports;                        // the kernel's symbols it calls or uses (its __versions)
};

// The build of one student file into one kernel module.
struct ModuleBuild
{
  std::string module_name;               // kmlab_hello
  std::filesystem::path ko;              // empty when no module came out
  bool ok = false;                       // built as written
  bool shimmed = false;                  // built only with the compatibility header
  std::vector<std::string> removed_apis; // old-kernel APIs the file uses (getnstimeofday, ...)
  std::vector<std::string> includes;     // the submission's files the build included, as named in it
  std::string stopped;                 // why the build was stopped at a limit ("a compiler process used up ..."), or ""
  std::vector<Diagnostic> diagnostics; // of the build as written
  std::string log;                     // the build's output as written, capped
  ModuleInfo info;
};

struct BuildOptions
{
  std::filesystem::path kernel_build_dir; // /lib/modules/<v>/build
  std::filesystem::path scratch;          // a folder of this module's own; created
  BuildLimits limits;
  // The submission's files the source includes (intake::included_files), relative to
  // `submission_root`, which also holds the source: each is put where the source's
  // `#include "..."` finds it, and nothing else of the submission is.
  std::filesystem::path submission_root;
  std::vector<std::filesystem::path> includes;
  // Build a file that fails and uses APIs removed from current kernels again with the
  // compatibility header (a lab file's sandbox.compat_header).
  bool compat_header = false;
};

// Compiles `source` alone into module `module_name` with a Kbuild written here (never the
// student's Makefile), inside the build sandbox (see sandboxed_command) under `limits`. When the build fails and the file uses APIs removed from current
// kernels, builds it again with a compatibility header if `options` ask for it. Failures are in the result; throws
// Error only when the scratch folder cannot be written.
ModuleBuild build_module(const std::filesystem::path& source, const std::string& module_name,
                         const BuildOptions& options);

// Diagnostics of gcc output ("file.c:12:5: error: ...") that concern `file_name`.
std::vector<Diagnostic> parse_diagnostics(const std::string& output, const std::string& file_name);

// Identifiers of APIs removed from current kernels that `source_text` uses.
std::vector<std::string> find_removed_apis(const std::string& source_text);

// modinfo of a .ko, read with libkmod without loading it.
ModuleInfo read_module_info(const std::filesystem::path& ko);

} // namespace kmgrade::build
