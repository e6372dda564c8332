// The web console and JSON API of `tenure daemon --http`: decision pages reached by signed links,
// admin pages (runs, a run, a person) and /api/v1/. Server-rendered HTML, usable without
// JavaScript. This file has no Beast in it: Handle() maps a request to a response, so tests call
// it directly; console/server.h puts it on the network.
//
// Security (docs/console.md):
// - Every interpolated value is HTML-escaped (Esc); every HTML page carries a strict
//   Content-Security-Policy (no scripts at all, styles only from /static), no-store, no referrer
//   (a link's token must not leak through Referer), frame-ancestors 'none'.
// - Every form carries a CSRF token that must equal the `tenure_csrf` cookie (double submit,
//   SameSite=Strict), and a POST whose Origin names another site is refused.
// - A decision needs a valid link (engine::CheckLink: signature, single use, expiry, person) or an
//   admin (bearer token from a 0600 file, the same token in a cookie set by /login, or a user
//   header set by a trusted reverse proxy, when configured).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/clock.h"
#include "engine/links.h"
#include "engine/state_store.h"

namespace tenure::console {

struct HttpRequest {
  std::string method;  // GET, POST
  std::string target;  // path and query
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ConsoleOptions {
  std::string admin_token;          // "" = no bearer admin (read from a 0600 file by the caller)
  std::string trusted_user_header;  // e.g. "x-forwarded-user"; "" = no proxy header trusted
  bool secure_cookies = false;      // TLS: cookies get `Secure`
  // POST /api/v1/runs: callers by token (token -> caller name); admins may call it too.
  std::map<std::string, std::string> caller_tokens;
  // Starts a run of the allowed playbook `name` with `inputs` and trigger key `key` (may be "")
  // for `caller`; returns {id, created}. Errors: kNotFound (no such playbook), kInvalidArgument
  // (inputs; the message lists every problem). Null: POST /api/v1/runs answers 404.
  std::function<Result<Value>(const std::string& name, const Map& inputs, const std::string& key,
                              const std::string& caller)>
      start_run;
};

class Console {
 public:
  // `on_decided` is called after each recorded decision (the daemon wakes at once). Every
  // reference must outlive the Console.
  Console(engine::StateStore& store, engine::Clock& clock, const engine::LinkKey& key, ConsoleOptions options,
          std::function<void()> on_decided);

  HttpResponse Handle(const HttpRequest& request);

 private:
  struct Admin {
    bool ok = false;
    std::string who;  // "token" or the proxy's user
  };
  Admin AdminOf(const HttpRequest& r) const;
  HttpResponse DecisionPage(const HttpRequest& r, const std::string& token);
  HttpResponse DecisionPost(const HttpRequest& r, const std::string& token);
  HttpResponse RunsPage(const HttpRequest& r);
  HttpResponse RunPage(const HttpRequest& r, const std::string& id);
  HttpResponse RunDecidePost(const HttpRequest& r, const std::string& id, const Admin& admin);
  HttpResponse PersonPage(const HttpRequest& r, const std::string& person);
  HttpResponse LoginPage(const HttpRequest& r);
  HttpResponse LoginPost(const HttpRequest& r);
  HttpResponse Api(const HttpRequest& r, const std::string& path, const Admin& admin);
  HttpResponse StartRun(const HttpRequest& r, const Admin& admin);

  engine::StateStore& store_;
  engine::Clock& clock_;
  const engine::LinkKey& key_;
  ConsoleOptions options_;
  std::function<void()> on_decided_;
};

// HTML-escapes & < > " ' (for text and attribute values).
std::string Esc(std::string_view s);
// Decodes application/x-www-form-urlencoded (also a query string).
std::map<std::string, std::string> ParseForm(std::string_view body);
std::string UrlDecode(std::string_view s, bool plus_is_space);
std::string UrlEncode(std::string_view s);

}  // namespace tenure::console
