#pragma once

#include <stdexcept>
#include <string>

namespace kmgrade {

// The one error type: "this run cannot go on". Its message says what failed, on what, and
// why, in words a user can act on; main prints it as "kmgrade: error: <message>" and exits
// 2 for a usage error (the command line asked for something that cannot be), 1 otherwise.
class Error : public std::runtime_error
{
public:
  enum class Kind { failure, usage };

  explicit Error(const std::string& message, Kind kind = Kind::failure) : std::runtime_error(message), m_kind(kind) {}

  Kind kind() const { return m_kind; }

private:
  Kind m_kind;
};

} // namespace kmgrade
