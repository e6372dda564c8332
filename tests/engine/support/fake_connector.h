// FakeConnector: a scriptable Connector for engine tests. Every call is recorded (action, args,
// idempotency key, task, time); what each call does is scripted per idempotency key (one item of
// a fan-out: IdempotencyKey(run, task, item)), task id, "connection.action" or action, in that order
// of preference; unscripted calls succeed at once.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "connectors/registry.h"
#include "engine/clock.h"
#include "workflows/connector_schema.h"

namespace tenure::engine::testing {

struct Behavior {
  enum class Kind { kSucceed, kFail, kRetryLater, kUnknown, kHang, kSlow };
  Kind kind = Kind::kSucceed;
  std::chrono::milliseconds delay{0};  // kSlow: before succeeding; kRetryLater: Retry-After
  connectors::FailureClass cls = connectors::FailureClass::kPermanent;
  std::string message;
  int http_status = 0;

  static Behavior Succeed() { return {}; }
  static Behavior Fail(std::string msg, int http = 0) {
    return {Kind::kFail, {}, connectors::FailureClass::kPermanent, std::move(msg), http};
  }
  static Behavior FailAfter(std::chrono::milliseconds d, std::string msg, int http = 0) {
    return {Kind::kFail, d, connectors::FailureClass::kPermanent, std::move(msg), http};
  }
  static Behavior Transient(std::string msg, int http = 503) {
    return {Kind::kRetryLater, {}, connectors::FailureClass::kTransient, std::move(msg), http};
  }
  static Behavior Throttle(std::chrono::milliseconds after) {
    return {Kind::kRetryLater, after, connectors::FailureClass::kThrottled, "rate limited", 429};
  }
  static Behavior Unknown(std::string why) { return {Kind::kUnknown, {}, {}, std::move(why), 0}; }
  static Behavior Hang() { return {Kind::kHang, {}, {}, "", 0}; }
  static Behavior Slow(std::chrono::milliseconds d) { return {Kind::kSlow, d, {}, "", 0}; }
};

struct Call {
  std::string connection;
  std::string action;
  Map args;
  std::string key;
  std::string task;
  SteadyTime at;
};

// Shared by every FakeConnector a FakeFactory makes (one per connection).
class FakeService {
 public:
  explicit FakeService(Clock& clock) : clock_(clock) {}
  void Script(const std::string& key, std::vector<Behavior> steps);
  const std::vector<Call>& calls() const { return calls_; }
  std::vector<std::string> CallTasks() const;  // task id of each call, in order
  int in_flight() const { return in_flight_; }
  int peak_in_flight() const { return peak_; }
  // Succeeded effects per idempotency key.
  const std::map<std::string, int>& effects() const { return effects_; }
  Clock& clock() { return clock_; }

 private:
  friend class FakeConnector;
  Behavior Next(const std::string& idempotency_key, const std::string& task, const std::string& uses,
                const std::string& action);

  Clock& clock_;
  std::map<std::string, std::deque<Behavior>> scripts_;
  std::vector<Call> calls_;
  int in_flight_ = 0;
  int peak_ = 0;
  std::map<std::string, int> effects_;
};

class FakeFactory final : public connectors::ConnectorFactory {
 public:
  explicit FakeFactory(FakeService& service) : service_(service) {}
  Result<std::unique_ptr<connectors::Connector>> Create(const workflows::ConnectionSpec& conn,
                                                        connectors::Redactor& redactor) override;
  // Values registered with the redactor at Create (as a real connector does with its secrets).
  std::vector<std::string> secrets;

 private:
  FakeService& service_;
};

// The built-in catalog plus connector type "fake" with actions create, update, delete, notify
// (arguments name, value, user: any type; all optional).
workflows::ConnectorCatalog TestCatalog();

}  // namespace tenure::engine::testing
