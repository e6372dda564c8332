// The shared error vocabulary: Error (a code from tenure's category plus a message) and Result<T>.
//
// Expected runtime failures are values of Result<T>; bad playbook input becomes Diagnostics
// (diagnostic.h); bugs are asserts.
#pragma once

#include <boost/system/result.hpp>
#include <cstddef>
#include <string>
#include <system_error>
#include <utility>

namespace tenure {

enum class Errc {
  kOk = 0,
  kInvalidArgument = 1,  // a value does not fit what is asked of it
  kNotFound = 2,         // a named thing (file, task, input, secret) does not exist
  kIo = 3,               // reading or writing a file failed
  kParse = 4,            // text could not be parsed (YAML, expression, JSON)
  kType = 5,             // an expression met a value of the wrong type
  kUnresolved = 6,       // a template needs a value that exists only at run time
  kDenied = 7,           // the user may not do this (e.g. not among a task's approvers)
  kAlreadyExists = 8,    // the thing to create exists already (a run id that is taken)
  kConflict = 9,         // a compare-and-set lost: the state changed since it was read
  kFailedPrecondition = 10,  // the thing is not in a state that allows this (a finished run)
};

const std::error_category& TenureCategory();
inline std::error_code make_error_code(Errc e) { return {static_cast<int>(e), TenureCategory()}; }

// An error: what went wrong, in words a user can act on. `offset` is the byte offset inside the
// text being parsed when the error came from a parser (expressions), else npos.
struct Error {
  std::error_code code;
  std::string message;
  std::size_t offset = std::string::npos;

  static Error InvalidArgument(std::string msg) { return {make_error_code(Errc::kInvalidArgument), std::move(msg)}; }
  static Error NotFound(std::string msg) { return {make_error_code(Errc::kNotFound), std::move(msg)}; }
  static Error Io(std::string msg) { return {make_error_code(Errc::kIo), std::move(msg)}; }
  static Error Parse(std::string msg, std::size_t at = std::string::npos) {
    return {make_error_code(Errc::kParse), std::move(msg), at};
  }
  static Error Type(std::string msg) { return {make_error_code(Errc::kType), std::move(msg)}; }
  static Error Unresolved(std::string msg) { return {make_error_code(Errc::kUnresolved), std::move(msg)}; }
  static Error Denied(std::string msg) { return {make_error_code(Errc::kDenied), std::move(msg)}; }
  static Error AlreadyExists(std::string msg) { return {make_error_code(Errc::kAlreadyExists), std::move(msg)}; }
  static Error Conflict(std::string msg) { return {make_error_code(Errc::kConflict), std::move(msg)}; }
  static Error FailedPrecondition(std::string msg) {
    return {make_error_code(Errc::kFailedPrecondition), std::move(msg)};
  }

  bool Is(Errc e) const { return code == make_error_code(e); }
};

// Called by Result<T>::value() on an error; throws std::runtime_error with the message.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

}  // namespace tenure

template <>
struct std::is_error_code_enum<tenure::Errc> : std::true_type {};
