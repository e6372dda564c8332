#include "tests/connectors/support/scripted_transport.h"

#include <chrono>
#include <stdexcept>

#include "connectors/http_support.h"

namespace tenure::connectors::testing {

http::HttpResponse Response(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers) {
  http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

std::optional<std::string> HeaderOf(const http::HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return std::nullopt;
}

Outcome InvokeNow(Connector& c, std::string action, Map args, std::string key, const workflows::YamlNode* literal) {
  boost::asio::io_context io;
  return InvokeOn(io, c, std::move(action), std::move(args), std::move(key), literal);
}

Outcome InvokeOn(boost::asio::io_context& io, Connector& c, std::string action, Map args, std::string key,
                 const workflows::YamlNode* literal) {
  Context ctx;
  ctx.idempotency_key = std::move(key);
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  ctx.run_id = "run1";
  ctx.task_id = "task1";
  Action a{std::move(action), std::move(args), literal};
  return RunAwaitable(io, c.Invoke(a, ctx));
}

std::string OutcomeText(const Outcome& o) {
  if (auto* s = std::get_if<Succeeded>(&o)) return s->result.ToJson();
  if (auto* r = std::get_if<RetryLater>(&o)) return r->failure.message + " " + r->failure.provider_code;
  if (auto* f = std::get_if<Failed>(&o)) return f->failure.message + " " + f->failure.provider_code;
  return std::get<Unknown>(o).why;
}

const Map& ResultMap(const Outcome& o) {
  const auto* s = std::get_if<Succeeded>(&o);
  if (s == nullptr || !s->result.IsMap()) throw std::logic_error("not a Succeeded map: " + Describe(o));
  return s->result.AsMap();
}

const Failure* FailureOf(const Outcome& o) {
  if (auto* r = std::get_if<RetryLater>(&o)) return &r->failure;
  if (auto* f = std::get_if<Failed>(&o)) return &f->failure;
  return nullptr;
}

std::string Describe(const Outcome& o) {
  static constexpr const char* kNames[] = {"Succeeded", "RetryLater", "Failed", "Unknown"};
  std::string out = kNames[o.index()];
  if (const Failure* f = FailureOf(o)) out += std::string(" ") + FailureClassName(f->cls);
  return out + ": " + OutcomeText(o);
}

}  // namespace tenure::connectors::testing
