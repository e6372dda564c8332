// Connector: the seam between the engine and the outside world. One Invoke is one attempt of one
// action: connectors never retry on their own (the engine owns retries, backoff and rate limits),
// but they do classify every failure so the engine knows whether a retry is safe.
//
// Design:
// - Idempotency: Context::idempotency_key is stable per run, task and for_each item, across
//   retries and crash-resumes. Connectors make effects happen once with it: "ensure" actions look
//   up before they create, HTTP requests carry it in a header, programs get it in their env.
// - Outcome is a closed set (below); the engine's switch over it is exhaustive.
// - Cancellation: Invoke runs on the engine's executor; a cancellation delivered through the
//   awaitable's cancellation slot (the engine's timeout or `tenure cancel`) makes the awaited I/O
//   fail; the connector then returns Unknown if a request may have reached the server, else
//   Failed{kCancelled}.
// - Secrets: every resolved secret value is registered with the Redactor before first use, and all
//   text a connector returns (results, errors) has passed through it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "connectors/redactor.h"
#include "workflows/connector_schema.h"
#include "workflows/error.h"
#include "workflows/value.h"
#include "workflows/yaml_tree.h"

namespace tenure::connectors {

// Why an action failed, in the classes the engine acts on.
enum class FailureClass {
  kTransient,   // 5xx, connection refused before sending, DNS: safe to retry
  kThrottled,   // 429, or a provider's rate-limit error: retry after `retry_after`
  kConflict,    // 409 the connector could not resolve
  kNotFound,    // the target does not exist (and that is an error for this action)
  kPermanent,   // 400, 401, 403, 422, bad configuration, malformed response: do not retry
  kCancelled,   // cancelled before anything was sent
};
const char* FailureClassName(FailureClass c);

struct Failure {
  FailureClass cls = FailureClass::kPermanent;
  std::string message;    // what happened, redacted; includes the provider's own message
  int http_status = 0;    // 0 when not HTTP
  std::string provider_code;  // e.g. SCIM scimType "uniqueness", Slack "channel_not_found"
};

struct Succeeded {
  Value result;  // a map; for SCIM the resource's fields including "id"
};
struct RetryLater {
  std::chrono::milliseconds after{0};  // from Retry-After (0 = use the engine's backoff)
  Failure failure;                     // kTransient or kThrottled
};
struct Failed {
  Failure failure;
};
// The request may or may not have taken effect (connection dropped after sending, timeout while
// waiting for the answer). The engine re-invokes with the same idempotency key, which the
// connector must make safe.
struct Unknown {
  std::string why;
};
using Outcome = std::variant<Succeeded, RetryLater, Failed, Unknown>;

struct Action {
  std::string name;  // e.g. "ensure_user"
  Map args;          // rendered `with:` arguments, validated against the ActionSpec
  // The author's unrendered `with:` (owned by the playbook, which outlives the call), or null.
  // Secret references in arguments are resolved only where this holds them as plain text: a
  // rendered value (an input, a server's answer) is data, `${...}` included. Null: nothing is
  // resolved.
  const workflows::YamlNode* literal = nullptr;
};

struct Context {
  std::string idempotency_key;                       // stable per run/task/item
  std::chrono::steady_clock::time_point deadline;    // of this attempt
  std::string run_id;
  std::string task_id;
  // What the engine recorded before the action's first attempt (docs/proof.md: pre-state), the
  // same on every attempt and after a resume; null when none was recorded. An action that reports
  // what it removed reads it to include what an earlier attempt removed (that attempt's effect
  // happened, its result was never recorded: a crash, a lost answer).
  Value pre_state{};
};

// Proof of removal (docs/proof.md): the two reads around a destructive action.
enum class Probe {
  kPreState,  // before the action: the state it is about to change
  kReadBack,  // after it succeeded: what the system now holds
};

class Connector {
 public:
  virtual ~Connector() = default;
  // One attempt of `action`. Never throws for expected failures: they are Outcomes.
  // Runs on the engine's executor.
  virtual boost::asio::awaitable<Outcome> Invoke(const Action& action, const Context& ctx) = 0;

  // One read about `action` (no effect; classified like Invoke; redacted). kPreState:
  // Succeeded{the state the action is about to change, a map}. kReadBack, with the action's
  // `result`: Succeeded{{expected: {k: v...}, seen: {k: v...}}}; the engine fails the task when a
  // key of `expected` has another value in `seen`. The catalog's ActionSpec::pre_state /
  // read_back say which actions have them; for any other the default answers Failed kPermanent.
  virtual boost::asio::awaitable<Outcome> Observe(Probe probe, const Action& action, const Value& result,
                                                  const Context& ctx);
};

// A read-back's answer: {expected: {key: expected}, seen: {key: seen}}. A plain function, for
// coroutines to call: GCC 12 miscompiles braced lists of string literals inside them.
Value Observation(const char* key, Value expected, Value seen);

}  // namespace tenure::connectors
