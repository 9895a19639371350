// The guest's results channel as the host reads it. A module runs in the guest's kernel
// and can write anything to the serial port, the secret included: the host may ignore a
// line, but must not fail on one.

#include "run/agent_channel.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  static const std::string secret = "0123456789abcdef0123456789abcdef";
  bool completed = false;
  kmgrade::run::parse_channel(std::string(reinterpret_cast<const char*>(data), size), secret, completed);
  return 0;
}
