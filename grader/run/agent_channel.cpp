#include "run/agent_channel.h"

#include "util/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

namespace kmgrade::run {

std::string random_secret()
{
  unsigned char bytes[16];
  int fd = ::open("/dev/urandom", O_RDONLY);
  if (fd < 0 || ::read(fd, bytes, sizeof bytes) != static_cast<ssize_t>(sizeof bytes)) {
    throw Error("cannot read /dev/urandom for the sandbox's channel secret");
  }
  ::close(fd);
  std::string out;
  for (unsigned char b : bytes) {
    const char* hex = "0123456789abcdef";
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

observe::GuestReport parse_channel(const std::string& text, const std::string& secret, bool& completed)
{
  observe::GuestReport report;
  completed = false;
  const std::string prefix = observe::channel_prefix(secret);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto at = line.find(prefix);
    if (at == std::string::npos) {
      continue;
    }
    std::string rest = line.substr(at + prefix.size());
    auto space = rest.find(' ');
    std::string kind = rest.substr(0, space);
    try {
      // The agent writes integers only. A float, or an integer too large for 64 bits (parsed
      // as a float), would convert to an integer field with undefined behaviour: a line
      // holding one is not the agent's.
      bool integers_only = true;
      const auto body = nlohmann::json::parse(
        rest.substr(space + 1), [&](int, nlohmann::json::parse_event_t event, const nlohmann::json& value) {
          integers_only = integers_only && (event != nlohmann::json::parse_event_t::value || !value.is_number_float());
          return true;
        });
      if (!integers_only) {
        continue;
      }
      if (kind == "hello") {
        report.kernel = body.at("kernel").get<std::string>();
        report.cpus = body.at("cpus").get<int>();
        report.page_size = body.at("page_size").get<long>();
        report.clocksource = body.at("clocksource").get<std::string>();
      } else if (kind == "run") {
        report.runs.push_back(observe::module_run_from_json(body));
      } else if (kind == "ready") {
        report.ready = true;
      } else if (kind == "note") {
        report.notes.push_back(body.at("text").get<std::string>());
      } else if (kind == "done") {
        completed = true;
      }
    } catch (const nlohmann::json::exception&) {
      // A line cut short by a dying VM, or one a module in the guest wrote with the secret:
      // either way not an answer of the agent.
    }
  }
  return report;
}

} // namespace kmgrade::run
