#include "procfs.h"

#include "observe/numbers.h"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kmgrade::agent {

using observe::parse_number;

std::vector<int> list_pids(const KernelPaths& paths)
{
  std::vector<int> pids;
  DIR* dir = ::opendir(paths.proc().c_str());
  if (!dir) {
    return pids;
  }
  while (auto* ent = ::readdir(dir)) {
    if (!std::isdigit(static_cast<unsigned char>(ent->d_name[0]))) {
      continue;
    }
    if (auto pid = parse_number<int>(ent->d_name)) {
      pids.push_back(*pid);
    }
  }
  ::closedir(dir);
  return pids;
}

ProcStatus parse_proc_status(std::string_view text)
{
  ProcStatus st;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
    if (key == "Name") {
      st.name = value;
    } else if (key == "State") {
      st.state = value.empty() ? '?' : value[0];
    } else if (key == "PPid") {
      st.ppid = parse_number<int>(value).value_or(-1);
    } else if (key == "Cpus_allowed_list") {
      st.cpus_allowed = value;
    }
  }
  return st;
}

std::optional<ProcStatus> proc_status(const KernelPaths& paths, int pid)
{
  // Opened apart from reading: a task that is gone cannot be told from an empty file by
  // what util::read_file returns.
  std::ifstream in(paths.proc() / std::to_string(pid) / "status");
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_proc_status(text.str());
}

std::optional<std::uint64_t> cpu_time_ns(const KernelPaths& paths, int pid)
{
  // "run_ns wait_ns timeslices"
  std::ifstream in(paths.proc() / std::to_string(pid) / "schedstat");
  std::string run_ns;
  if (!(in >> run_ns)) {
    return std::nullopt;
  }
  return parse_number<std::uint64_t>(run_ns);
}

std::optional<int> last_cpu(const KernelPaths& paths, int pid)
{
  std::ifstream in(paths.proc() / std::to_string(pid) / "stat");
  std::ostringstream text;
  text << in.rdbuf();
  // "pid (comm) state ppid ...": the name may hold spaces and parentheses, so the fields
  // are counted from the last ')'; the CPU is field 39, the 37th after the name.
  const std::string line = text.str();
  const auto close = line.rfind(')');
  if (!in || close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int i = 0; i < 37 && fields >> field; ++i) {
  }
  return fields ? parse_number<int>(field) : std::nullopt;
}

ModuleRange module_range(const KernelPaths& paths, const std::string& name)
{
  std::ifstream in(paths.proc() / "modules");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string mod, size, refs, deps, state, addr;
    ss >> mod >> size >> refs >> deps >> state >> addr;
    if (mod == name) {
      return {std::strtoull(addr.c_str(), nullptr, 16), std::strtoull(size.c_str(), nullptr, 10)};
    }
  }
  return {};
}

KernelSymbols kernel_symbols(const KernelPaths& paths, const std::vector<std::string>& functions)
{
  const std::set<std::string> wanted(functions.begin(), functions.end());
  KernelSymbols out;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  // "ffffffff81000000 T _stext"; a module's symbols end in "\t[module]".
  std::ifstream in(paths.proc() / "kallsyms");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string addr, type, name, module;
    fields >> addr >> type >> name >> module;
    if (!module.empty()) {
      continue;
    }
    if (name == "_stext" || name == "_etext") {
      (name == "_stext" ? start : end) = std::strtoull(addr.c_str(), nullptr, 16);
    } else if ((type == "t" || type == "T") && wanted.count(name)) {
      out.functions.insert(name);
    }
  }
  if (start != 0 && end > start) {
    out.text = {start, end - start};
  }
  return out;
}

std::vector<std::string> paths_still_listed(const KernelPaths& paths, const std::vector<std::string>& wanted_gone)
{
  std::vector<std::string> listed;
  for (const auto& path : wanted_gone) {
    const auto inside = paths.root / std::filesystem::path(path).relative_path();
    std::error_code ec;
    for (std::filesystem::directory_iterator it(inside.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename() == inside.filename()) {
        listed.push_back(path);
        break;
      }
    }
  }
  return listed;
}

} // namespace kmgrade::agent
