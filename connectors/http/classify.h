// Classification of HTTP results into connector Outcomes, shared by every HTTP-based connector so
// that the same status means the same thing everywhere. Pure functions: no I/O, no clock reads
// except through the `now` argument.
//
//   2xx                      -> Succeeded{result = the JSON body as a Value (a map; {} when empty;
//                               non-object JSON is wrapped as {"value": ...}; non-JSON text as
//                               {"body": text})}
//   429                      -> RetryLater kThrottled, after = Retry-After (0 when absent)
//   503                      -> RetryLater kTransient, after = Retry-After (0 when absent)
//   408, other 5xx           -> RetryLater kTransient, after 0
//   400 401 403 422, others  -> Failed kPermanent (any 1xx/3xx/4xx not listed here)
//   404, 410                 -> Failed kNotFound
//   409                      -> Failed kConflict
//   TransportError (ClassifyTransportError, the only classifier of transport errors):
//     sent or timed out, on an effectful request -> Unknown (the server may have acted)
//     cancelled                                  -> Failed kCancelled
//     permanent (certificate verification, an unusable ca_file) -> Failed kPermanent
//     anything else (refused, DNS, reset of a GET) -> RetryLater kTransient
//
// Failure::message is "HTTP <status> <reason>: <provider message>", where the provider message is
// taken from SCIM `detail`, Slack `error`, or `message` / `error_description` / `error.message`,
// else a summary of the body (tags stripped, whitespace collapsed, at most 200 characters).
// Failure::provider_code is the SCIM `scimType`, Slack `error` or a JSON `code`, when present.
// Callers must still pass the message through their Redactor.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http/transport.h"

namespace tenure::connectors::http {

Outcome ClassifyResponse(const HttpResponse& res,
                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// `effectful`: the request may change something at the server (not GET or HEAD). The message is
// the transport's, with " (the request may have taken effect)" for Unknown.
Outcome ClassifyTransportError(const TransportError& err, bool effectful);

// The longest wait a Retry-After can ask for; longer ones are cut to it.
inline constexpr std::chrono::seconds kMaxRetryAfter{86'400};

// Retry-After (RFC 9110 section 10.2.3) as a delay, the only parser of it: delta-seconds ("120")
// or an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 or asctime). Dates in the
// past, and values that cannot be parsed, give 0 (the engine's own backoff then applies); at
// most kMaxRetryAfter.
std::chrono::milliseconds ParseRetryAfter(std::string_view value, std::chrono::system_clock::time_point now);

// A short human-readable rendering of an error body: the provider's message for JSON bodies,
// else the text with HTML tags, scripts and styles removed, whitespace collapsed, and cut to
// `max_chars` (with "..." appended when cut). "" for an empty body.
std::string SummarizeBody(std::string_view body, std::size_t max_chars = 200);

}  // namespace tenure::connectors::http
