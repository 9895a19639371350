#include "run/sandbox_kernel.h"

#include "util/error.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace kmgrade::run {

namespace fs = std::filesystem;

namespace {

// Natural order of version strings: "6.1.0-10" < "6.1.0-9" is wrong, digits compare as numbers.
bool version_less(const std::string& a, const std::string& b)
{
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      // Compared as digit strings, without leading zeros: any length, nothing to overflow.
      auto na = std::string_view(a).substr(i, ie - i);
      auto nb = std::string_view(b).substr(j, je - j);
      na.remove_prefix(std::min(na.find_first_not_of('0'), na.size()));
      nb.remove_prefix(std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) {
        return na.size() < nb.size();
      }
      if (na != nb) {
        return na < nb;
      }
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) {
        return a[i] < b[j];
      }
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

} // namespace

SandboxKernel find_sandbox_kernel()
{
  utsname uts{};
  ::uname(&uts);
  if (std::string(uts.machine) != "x86_64") {
    throw Error(
      std::string("the sandbox VM boots Debian's x86-64 kernel, and this machine is ") + uts.machine +
      ": check your modules on this machine's own kernel with kmgrade check --host, or grade on an x86-64 machine");
  }
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("vmlinuz-", 0) != 0) {
      continue;
    }
    std::string version = name.substr(8);
    if (fs::exists("/lib/modules/" + version + "/build/Makefile")) {
      versions.push_back(version);
    }
  }
  if (versions.empty()) {
    throw Error(
      "no sandbox kernel: need /boot/vmlinuz-V with headers in /lib/modules/V/build (install linux-image-amd64 and linux-headers-amd64, or run scripts/setup)");
  }
  std::sort(versions.begin(), versions.end(), version_less);
  const std::string& v = versions.back();
  return {v, "/boot/vmlinuz-" + v, "/lib/modules/" + v + "/build"};
}

} // namespace kmgrade::run
