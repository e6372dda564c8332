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

Value Observation(const char* key, Value expected, Value seen) {
  Map e;
  e.Set(key, std::move(expected));
  Map s;
  s.Set(key, std::move(seen));
  Map out;
  out.Set("expected", Value(std::move(e)));
  out.Set("seen", Value(std::move(s)));
  return Value(std::move(out));
}

}  // namespace tenure::connectors
