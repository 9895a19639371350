#pragma once

#include "observe/observation.h"

#include <string>

namespace kmgrade::run {

// A fresh secret for the agent's channel: only lines carrying it are the agent's. 32 hex
// digits from /dev/urandom; throws Error when it cannot be read.
std::string random_secret();

// Parses the agent's channel output, keeping only lines that carry `secret`: its hello, runs
// and notes; `completed` says whether it said "done". A line that is not JSON, is cut short,
// or holds a number that is not an integer is not the agent's and is skipped. Cannot fail.
observe::GuestReport parse_channel(const std::string& text, const std::string& secret, bool& completed);

} // namespace kmgrade::run
