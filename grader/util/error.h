#pragma once

#include <stdexcept>
#include <string>

namespace kmgrade {

// The one error type: "this run cannot go on". Its message says what failed, on what, and
// why, in words a user can act on; main prints it as "kmgrade: error: <message>".
class Error : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

} // namespace kmgrade
