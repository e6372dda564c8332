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

boost::asio::awaitable<Outcome> Connector::Observe(Probe probe, const Action& action, const Value& result,
                                                   const Context& ctx) {
  (void)result;
  (void)ctx;
  co_return Failed{Failure{FailureClass::kPermanent,
                           std::string(probe == Probe::kPreState ? "no pre-state" : "no read-back") + " for action '" +
                               action.name + "'",
                           0, ""}};
}

}  // namespace tenure::connectors
