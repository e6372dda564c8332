#include "connectors/http_support.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/system_error.hpp>
#include <cctype>

#include "connectors/http/classify.h"

namespace tenure::connectors {

std::chrono::milliseconds TimeLeft(const Context& ctx) {
  using std::chrono::milliseconds;
  if (ctx.deadline.time_since_epoch().count() == 0) return milliseconds(30'000);
  auto left = std::chrono::duration_cast<milliseconds>(ctx.deadline - std::chrono::steady_clock::now());
  return std::clamp(left, milliseconds(1), milliseconds(600'000));
}

std::optional<Value> ParseJsonBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value j = boost::json::parse(body, ec);
  if (ec) return std::nullopt;
  return FromJsonValue(j);
}

std::string Excerpt(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  // Back up over UTF-8 continuation bytes so the excerpt stays valid text.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

Outcome Fail(FailureClass cls, std::string message, int http_status, std::string provider_code) {
  return Failed{Failure{cls, std::move(message), http_status, std::move(provider_code)}};
}

Outcome FromTransportError(const http::TransportError& e, bool effectful, std::string_view what,
                           const Redactor& redactor) {
  http::TransportError named = e;
  named.message = std::string(what) + ": " + e.message;
  return RedactOutcome(http::ClassifyTransportError(named, effectful), redactor);
}

Outcome FromHttpStatus(const http::HttpResponse& r, std::string_view what, std::string_view message,
                       std::string provider_code, const Redactor& redactor) {
  // The shared table lives in http/classify.h; we add which request it was and our own reading
  // of the provider's message when the caller has one.
  Outcome o = http::ClassifyResponse(r);
  auto decorate = [&](Failure& f) {
    f.http_status = r.status;
    if (!provider_code.empty()) f.provider_code = provider_code;
    std::string msg = std::string(what) + ": HTTP " + std::to_string(r.status);
    if (!f.provider_code.empty()) msg += " " + f.provider_code;
    msg += ": " + (message.empty() ? f.message : Excerpt(message, 300));
    f.message = redactor.Redact(msg);
  };
  if (auto* retry = std::get_if<RetryLater>(&o)) decorate(retry->failure);
  if (auto* failed = std::get_if<Failed>(&o)) decorate(failed->failure);
  if (std::holds_alternative<Succeeded>(o)) {
    // Callers only pass failures; a 2xx here is "not the status we expected".
    Failure f{FailureClass::kPermanent, "", r.status, std::move(provider_code)};
    decorate(f);
    o = Failed{std::move(f)};
  }
  return o;
}

}  // namespace tenure::connectors

namespace tenure::connectors {

Outcome RedactOutcome(Outcome o, const Redactor& redactor) {
  if (auto* s = std::get_if<Succeeded>(&o)) s->result = redactor.RedactValue(s->result);
  if (auto* r = std::get_if<RetryLater>(&o)) r->failure.message = redactor.Redact(r->failure.message);
  if (auto* f = std::get_if<Failed>(&o)) f->failure.message = redactor.Redact(f->failure.message);
  if (auto* u = std::get_if<Unknown>(&o)) u->why = redactor.Redact(u->why);
  return o;
}

boost::asio::awaitable<Outcome> Guarded(boost::asio::awaitable<Outcome> op, std::string what,
                                        const Redactor& redactor) {
  Outcome out;
  std::exception_ptr error;
  try {
    out = co_await std::move(op);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) out = FromException(error, what);
  co_return RedactOutcome(std::move(out), redactor);
}

Outcome FromException(std::exception_ptr e, std::string_view what) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& se) {
    if (se.code() == boost::asio::error::operation_aborted) {
      // A request may already have been sent: only a reconciling retry can tell.
      return Unknown{std::string(what) + ": cancelled while in progress"};
    }
    return Fail(FailureClass::kPermanent, std::string(what) + ": " + se.what());
  } catch (const std::exception& ex) {
    return Fail(FailureClass::kPermanent, std::string(what) + ": internal error: " + ex.what());
  }
}

}  // namespace tenure::connectors

namespace tenure::connectors {
Map MakeMap(std::initializer_list<Map::Entry> entries) {
  Map m;
  for (const auto& [k, v] : entries) m.Set(k, v);
  return m;
}
}  // namespace tenure::connectors
