// Helpers shared by the HTTP-speaking connectors (scim, http, slack): per-attempt timeouts from
// the Context deadline, JSON bodies as Values, percent-encoding, base64, and the mapping of HTTP
// statuses and transport errors to Outcomes. Pure functions; no I/O.
//
// Classification: HTTP statuses follow the shared table in connectors/http/classify.h (429 ->
// throttled, 5xx/408 -> transient, 404/410 -> not found, 409 -> conflict, other -> permanent).
// Transport errors: nothing sent -> RetryLater kTransient; sent or timed out -> Unknown for
// requests with effects, RetryLater for those without (a GET that may have landed changed nothing).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/http/url.h"
#include "workflows/value.h"

namespace tenure::connectors {

// The time left for this attempt: `ctx.deadline - now`, clamped to [1ms, 10min]; 30s when the
// context has no deadline (a default-constructed time_point).
std::chrono::milliseconds TimeLeft(const Context& ctx);

// The body parsed as JSON, or nullopt when it is empty or not JSON.
std::optional<Value> ParseJsonBody(std::string_view body);

// The first `max` bytes of `text` (on a UTF-8 boundary) with "..." when cut; newlines kept.
std::string Excerpt(std::string_view text, std::size_t max = 200);

// RFC 3986: everything but ALPHA DIGIT - . _ ~ becomes %XX (UTF-8 bytes encoded one by one).
inline std::string UrlEncode(std::string_view text) { return http::PercentEncode(text); }

// Standard base64 with padding (for HTTP basic auth).
using http::Base64;

// The Outcome of a failed exchange, per http::ClassifyTransportError. `effectful` is false for
// requests with no side effect. The message says `what` ("SCIM POST /Users") and the transport's
// words, redacted.
Outcome FromTransportError(const http::TransportError& e, bool effectful, std::string_view what,
                           const Redactor& redactor);

// The Outcome of a non-success HTTP status, per the table above. `message` is the provider's
// words (already extracted from the body); `provider_code` e.g. a SCIM scimType. Redacted.
Outcome FromHttpStatus(const http::HttpResponse& r, std::string_view what, std::string_view message,
                       std::string provider_code, const Redactor& redactor);

// Shorthands.
Outcome Fail(FailureClass cls, std::string message, int http_status = 0, std::string provider_code = "");
inline bool IsSuccess(int status) { return status >= 200 && status < 300; }

}  // namespace tenure::connectors

namespace tenure::connectors {

// `o` with every string in a Succeeded result and every message passed through `redactor`.
Outcome RedactOutcome(Outcome o, const Redactor& redactor);

// The Outcome for an exception escaping an action (a bug or a cancellation): cancellation while
// `effectful` work may have been sent is Unknown, else Failed (kCancelled / kPermanent).
Outcome FromException(std::exception_ptr e, std::string_view what);

// Every connector's Invoke ends here: awaits `op`, turns an exception escaping it into an Outcome
// (FromException, named `what`), and redacts the result (RedactOutcome). Build `op` and `what` as
// locals before awaiting this: GCC 12 miscompiles some temporaries inside co_await expressions.
boost::asio::awaitable<Outcome> Guarded(boost::asio::awaitable<Outcome> op, std::string what,
                                        const Redactor& redactor);

}  // namespace tenure::connectors

namespace tenure::connectors {
// A map from literal entries, in order: MakeMap({{"id", id}, {"deleted", true}}).
Map MakeMap(std::initializer_list<Map::Entry> entries);
}  // namespace tenure::connectors
