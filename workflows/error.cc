#include "workflows/error.h"

#include <stdexcept>

namespace tenure {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tenure"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk: return "ok";
      case Errc::kInvalidArgument: return "invalid argument";
      case Errc::kNotFound: return "not found";
      case Errc::kIo: return "i/o error";
      case Errc::kParse: return "parse error";
      case Errc::kType: return "type error";
      case Errc::kUnresolved: return "unresolved until run time";
      case Errc::kDenied: return "permission denied";
      case Errc::kAlreadyExists: return "already exists";
      case Errc::kConflict: return "conflict";
      case Errc::kFailedPrecondition: return "failed precondition";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& TenureCategory() {
  static const Category category;  // immutable after construction
  return category;
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

}  // namespace tenure
