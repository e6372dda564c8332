#include "connectors/connector.h"

namespace tenure::connectors {

const char* FailureClassName(FailureClass c) {
  switch (c) {
    case FailureClass::kTransient:
      return "transient";
    case FailureClass::kThrottled:
      return "throttled";
    case FailureClass::kConflict:
      return "conflict";
    case FailureClass::kNotFound:
      return "not found";
    case FailureClass::kPermanent:
      return "permanent";
    case FailureClass::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace tenure::connectors
