// Sandbox: the local SaaS stand-in behind `tenure sandbox serve`. It routes a Request to SCIM
// (/scim/v2/...), Slack (/api/METHOD), echo (/echo/...) or admin (/_sandbox/...) handlers and
// owns the State. Transport-free: server.h puts it on the network.
//
// Design:
// - Single-threaded: every call runs on the server's one io_context thread.
// - Auth: SCIM and Slack require `Authorization: Bearer <token>` (SCIM answers 401 with the SCIM
//   error schema; Slack answers {"ok":false,"error":"not_authed"|"invalid_auth"}). Echo and
//   admin are open: the sandbox binds to loopback only.
// - Echo (/echo/ANY, any method) answers {"method","path","query","headers","json","body",
//   "idempotency_key","count"}: Authorization and every `secret_headers` value is "***"; `count`
//   is how many requests carried this Idempotency-Key so far. Query knobs for client tests:
//   status=NNN (answer with that status), pad=N (add N bytes of padding), chunked=1 (chunked
//   transfer encoding), redirects=N (302 to the same URL with N-1, until 0), location=URL (302
//   there),
//   malformed=truncated (a body cut short, then close) or malformed=garbage (not HTTP).
// - Proxy: a CONNECT to a loopback host:port is tunnelled (for tests of HTTPS_PROXY); other
//   CONNECT targets get 403. Counted as "tunnels" in the state. Absolute-form requests
//   ("GET http://any/echo/x", as sent to an HTTP proxy) are served as if addressed to the sandbox,
//   and echo marks them "absolute_form": true.
// - Admin: GET /_sandbox/state (users, groups with members, channels, messages, echo counts,
//   requests since the last reset, connections accepted since start, faults); POST
//   /_sandbox/reset (empty state, request counter zero, faults back to the command line's); GET/POST /_sandbox/faults (see faults.h).
// - Persistence: with `state_file`, the state is loaded at Create and saved (temp + rename)
//   after every request that may have changed it.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sandbox/faults.h"
#include "sandbox/google.h"
#include "sandbox/msgraph.h"
#include "sandbox/message.h"
#include "sandbox/scim.h"
#include "sandbox/slack.h"
#include "sandbox/state.h"

namespace tenure::sandbox {

struct SandboxOptions {
  std::string token = "sandbox-token";     // "" disables the bearer-token check
  std::vector<std::string> secret_headers;  // masked in echo answers, like Authorization
  std::vector<FaultRule> faults;            // initial (and reset) fault rules
  std::string state_file;                   // "" = in memory only
  std::uint64_t seed = 1;                   // fault draws (resource ids are random)
  ScimOptions scim;                         // SCIM profile and page cap (scim.h)
  GoogleSandboxOptions google;              // Google Workspace personality (google.h)
  GraphSandboxOptions msgraph;              // Microsoft 365 personality (msgraph.h)
};

class Sandbox {
 public:
  // Loads `state_file` when set. Fails (Io/Parse) when it exists but cannot be read.
  static Result<std::unique_ptr<Sandbox>> Create(SandboxOptions options);
  // Prefer Create; this starts from `state` as given.
  Sandbox(SandboxOptions options, State state);

  // The fault to apply to `req` (server.h acts on it before calling Handle).
  FaultDecision DecideFault(const Request& req);
  // The answer for a kRateLimited or kFail decision, in the style of the API addressed.
  Response FaultResponse(const Request& req, const FaultDecision& decision) const;
  // Handles `req` (faults already applied). Never throws for bad input: it is a 4xx.
  Response Handle(const Request& req);
  // Counts an accepted connection (reported in /_sandbox/state as "connections").
  void OnConnection() { ++connections_; }
  // Counts a CONNECT tunnel opened (reported as "tunnels").
  void OnTunnel() { ++tunnels_; }

  boost::json::value StateJson() const;
  // The Google personality's service-account key file for a client reaching us at `base_url`.
  std::string GoogleServiceAccountJson(const std::string& base_url) const { return google_.ServiceAccountJson(base_url); }
  // Records an e-mail the SMTP personality accepted (and persists the state when configured).
  void OnEmail(Email email);

 private:
  Response Route(const Request& req);
  Response Echo(const Request& req);
  Response Admin(const Request& req);
  bool Authorized(const Request& req) const;
  void Persist();

  SandboxOptions options_;
  State state_;
  std::mt19937_64 rng_;  // resource ids
  Faults faults_;
  ScimService scim_;
  SlackService slack_;
  GoogleService google_;
  GraphService msgraph_;
  std::int64_t requests_ = 0;
  std::int64_t connections_ = 0;
  std::int64_t tunnels_ = 0;
};

}  // namespace tenure::sandbox
