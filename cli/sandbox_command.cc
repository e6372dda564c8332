// tenure sandbox serve | show | reset: the local SaaS sandbox (sandbox/) from the command line.
// `serve` runs the server until SIGINT/SIGTERM; `show` and `reset` talk to a running one over
// HTTP through the same BeastTransport the connectors use.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "connectors/http/beast_transport.h"
#include "sandbox/smtp.h"
#include "sandbox/server.h"

namespace tenure::cli {
namespace {

namespace json = boost::json;
using connectors::http::HttpRequest;
using connectors::http::HttpResponse;
using connectors::http::TransportError;

constexpr int kDefaultPort = 8089;

struct ServeOptions {
  int port = kDefaultPort;
  int smtp_port = -1;  // -1 = no SMTP personality; 0 = a free port
  std::string token = "sandbox-token";
  int latency_ms = 0;
  int rate = 0;
  double fail_rate = 0;
  double reset_rate = 0;
  double stall_rate = 0;
  int stall_ms = 60'000;
  std::string fault_path;
  std::string state_file;
  std::vector<std::string> secret_headers;
  std::uint64_t seed = 1;
  std::string scim_profile = "full";
  int scim_max_results = 200;
  bool scim_keep_active = false;
  std::string tls_cert;
  std::string tls_key;
  bool quiet = false;
  bool no_demo = false;
  std::string google_key_file;
  int transfer_delay_ms = 3000;
};

struct ClientOptions {
  std::string url;
  bool json = false;
};

std::string DefaultUrl() {
  if (const char* env = std::getenv("TENURE_SANDBOX_URL"); env != nullptr && *env != '\0') return env;
  return "http://127.0.0.1:" + std::to_string(kDefaultPort);
}

sandbox::SandboxOptions ToSandboxOptions(const ServeOptions& o) {
  sandbox::SandboxOptions s;
  s.token = o.token;
  s.secret_headers = o.secret_headers;
  s.state_file = o.state_file;
  s.seed = o.seed;
  s.scim.profile = sandbox::ParseScimProfile(o.scim_profile).value_or(sandbox::ScimProfile::kFull);
  s.scim.max_results = o.scim_max_results;
  s.scim.keep_active = o.scim_keep_active;
  s.google.demo = !o.no_demo;
  s.google.transfer_delay_ms = o.transfer_delay_ms;
  s.msgraph.demo = !o.no_demo;
  if (o.latency_ms > 0 || o.rate > 0 || o.fail_rate > 0 || o.reset_rate > 0 || o.stall_rate > 0) {
    s.faults.push_back({o.fault_path, o.latency_ms, o.rate, o.fail_rate, 500, o.reset_rate, o.stall_rate, o.stall_ms});
  }
  return s;
}

// Where the Google personality's service-account key is kept: --google-key-file, else beside
// --state (so a restart keeps the key the clients have), else in a new private temp directory.
std::string GoogleKeyPath(const ServeOptions& o) {
  std::error_code ec;
  if (!o.google_key_file.empty()) return std::filesystem::absolute(o.google_key_file, ec).string();
  if (!o.state_file.empty()) return std::filesystem::absolute(o.state_file + ".google-key.json", ec).string();
  std::string dir = (std::filesystem::temp_directory_path() / "tenure-sandbox.XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) return "";
  return dir + "/google-service-account.json";
}

// The private key of an existing key file (so clients holding it keep working), or "".
std::string ExistingKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto key = json::parse(text.str(), ec);
  if (ec || !key.is_object() || !key.as_object().contains("private_key")) return "";
  const json::value& pem = key.at("private_key");
  return pem.is_string() ? std::string(pem.get_string()) : std::string();
}

bool WriteKeyFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

ExitCode Serve(const ServeOptions& o) {
  sandbox::SandboxOptions options = ToSandboxOptions(o);
  const std::string key_path = GoogleKeyPath(o);
  options.google.private_key_pem = ExistingKey(key_path);
  auto sb = sandbox::Sandbox::Create(std::move(options));
  if (!sb) {
    std::cerr << "tenure sandbox: " << sb.error().message << "\n";
    return ExitCode::kUsage;
  }
  boost::asio::io_context io{1};
  sandbox::ServerOptions server_options{"127.0.0.1", o.port, o.tls_cert, o.tls_key, !o.quiet};
  auto server = sandbox::Server::Start(io.get_executor(), **sb, server_options);
  if (!server) {
    std::cerr << "tenure sandbox: " << server.error().message << "\n";
    return ExitCode::kFailed;
  }
  const std::string url = std::string(o.tls_cert.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string((*server)->port());
  std::unique_ptr<sandbox::SmtpServer> smtp;
  if (o.smtp_port >= 0) {
    auto started = sandbox::SmtpServer::Start(io.get_executor(), **sb, o.smtp_port);
    if (!started) {
      std::cerr << "tenure sandbox: " << started.error().message << "\n";
      return ExitCode::kFailed;
    }
    smtp = std::move(*started);
  }
  const std::string token = o.token == "sandbox-token" ? o.token : o.token.empty() ? "none" : "<your --token>";
  if (key_path.empty() || !WriteKeyFile(key_path, (*sb)->GoogleServiceAccountJson(url))) {
    std::cerr << "tenure sandbox: cannot write the Google service-account key " << key_path << "\n";
    return ExitCode::kFailed;
  }
  std::cout << "tenure sandbox listening on " << url << "\n"
            << "  SCIM 2.0:  " << url << "/scim/v2    Slack Web API: " << url << "/api    echo: " << url << "/echo/\n"
            << "  Google Workspace: " << url << "/google (service-account key " << key_path << ")\n"
            << "  Microsoft 365:    " << url << "/graph/v1.0 (token endpoint " << url << "/microsoft)\n"
            << (o.state_file.empty() ? std::string() : "  state persisted in " + o.state_file + "\n")
            << (o.scim_profile == "full" ? std::string()
                                         : "  SCIM profile " + o.scim_profile + ": only `attribute eq \"value\"` filters, no User.groups\n")
            << "For the examples, in another shell:\n"
            << "  export TENURE_SCIM_URL=" << url << "/scim/v2 TENURE_SCIM_TOKEN=" << token << "\n"
            << "  export TENURE_SLACK_URL=" << url << "/api TENURE_SLACK_TOKEN=" << token << "\n"
            << "  export TENURE_HTTP_URL=" << url << " TENURE_HTTP_TOKEN=" << token << "\n"
            << "  export TENURE_GOOGLE_URL=" << url << "/google TENURE_GOOGLE_ADMIN=grace.hopper@example.com\n"
            << "  export TENURE_GOOGLE_CREDENTIALS=\"$(cat " << key_path << ")\"\n"
            << "  export TENURE_MSGRAPH_AUTHORITY=" << url << "/microsoft TENURE_MSGRAPH_URL=" << url << "/graph/v1.0\n"
            << "  export TENURE_MSGRAPH_TENANT=sandbox-tenant TENURE_MSGRAPH_CLIENT_ID=tenure-sandbox-app "
               "TENURE_MSGRAPH_SECRET=sandbox-client-secret\n"
            << "  export TENURE_SANDBOX_URL=" << url << "    # then: tenure sandbox show\n"
            << (smtp ? "  export TENURE_SMTP_HOST=127.0.0.1 TENURE_SMTP_PORT=" + std::to_string(smtp->port()) +
                           "    # plain SMTP: tls: none, no username\n"
                     : std::string())
            << "Ctrl-C stops it." << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    (*server)->Stop();
    if (smtp) smtp->Stop();
    io.stop();
  });
  io.run();
  if (o.google_key_file.empty() && o.state_file.empty()) {  // a temp dir of our own: leave nothing behind
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(key_path).parent_path(), ec);
  }
  std::cout << "tenure sandbox stopped" << std::endl;
  return ExitCode::kOk;
}

// One request to a running sandbox; errors are printed with a hint.
std::optional<HttpResponse> Call(const std::string& method, const std::string& url) {
  boost::asio::io_context io{1};
  auto transport = connectors::http::MakeBeastTransport(io.get_executor());
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.timeout = std::chrono::seconds(10);
  std::optional<boost::system::result<HttpResponse, TransportError>> out;
  boost::asio::co_spawn(io, transport->Send(req), [&](std::exception_ptr e, boost::system::result<HttpResponse, TransportError> r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  io.run();
  if (!*out) {
    std::cerr << "tenure sandbox: " << out->error().message << "\n(is `tenure sandbox serve` running? set --url or TENURE_SANDBOX_URL)\n";
    return std::nullopt;
  }
  if ((*out)->status != 200) {
    std::cerr << "tenure sandbox: " << method << " " << url << " answered " << (*out)->status << ": " << (*out)->body << "\n";
    return std::nullopt;
  }
  return **out;
}

std::string Str(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

std::string Join(const json::value& list, const std::function<std::string(const json::value&)>& item) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& e : list.get_array()) out += (out.empty() ? "" : ", ") + item(e);
  return out;
}

// Prints rows as columns padded to the widest cell, under `title (N)`.
void Table(const std::string& title, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::cout << title << " (" << rows.size() << ")\n";
  if (rows.empty()) {
    std::cout << "  (none)\n\n";
    return;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto print = [&](const std::vector<std::string>& row) {
    std::string line = " ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += " " + row[c] + (c + 1 < row.size() ? std::string(width[c] - row[c].size() + 1, ' ') : "");
    }
    std::cout << line << "\n";
  };
  print(header);
  for (const auto& row : rows) print(row);
  std::cout << "\n";
}

std::string EmailOf(const json::value& user) {
  const auto* emails = user.as_object().if_contains("emails");
  if (emails == nullptr || !emails->is_array() || emails->get_array().empty()) return "";
  const auto& first = emails->get_array().front();
  return first.is_object() && first.get_object().contains("value") ? Str(first.at("value")) : "";
}

// The Google Workspace and Microsoft 365 personalities (absent from an older sandbox's state).
void PrintCloudState(const json::value& state) {
  const auto& root = state.as_object();
  if (const auto* google = root.if_contains("google"); google != nullptr && google->is_object()) {
    std::vector<std::vector<std::string>> users, transfers;
    std::map<std::string, std::string> emails;  // id -> primaryEmail
    for (const auto& u : google->at("users").as_array()) {
      emails[Str(u.at("id"))] = Str(u.at("primaryEmail"));
      users.push_back({Str(u.at("primaryEmail")), u.at("suspended").as_bool() ? "yes" : "no", Str(u.at("orgUnitPath")),
                       Join(u.at("groups"), Str), Str(u.at("drive_files")), Str(u.at("forwarding")),
                       Str(u.at("sessions"))});
    }
    for (const auto& t : google->at("transfers").as_array()) {
      transfers.push_back({emails[Str(t.at("from"))], emails[Str(t.at("to"))], Str(t.at("status")), Str(t.at("id"))});
    }
    Table("Google Workspace accounts", {"USER", "SUSPENDED", "ORG UNIT", "GROUPS", "DRIVE FILES", "FORWARDS TO", "SESSIONS"},
          users);
    if (!transfers.empty()) Table("Google data transfers", {"FROM", "TO", "STATUS", "ID"}, transfers);
  }
  if (const auto* graph = root.if_contains("msgraph"); graph != nullptr && graph->is_object()) {
    std::vector<std::vector<std::string>> users;
    for (const auto& u : graph->at("users").as_array()) {
      users.push_back({Str(u.at("userPrincipalName")), u.at("accountEnabled").as_bool() ? "yes" : "no",
                       Join(u.at("groups"), Str), std::to_string(u.at("licenses").as_array().size()),
                       Str(u.at("sessions")), Str(u.at("forwarding")), u.at("deleted").as_bool() ? "yes" : "no"});
    }
    Table("Microsoft 365 accounts", {"USER", "ENABLED", "GROUPS", "LICENCES", "SESSIONS", "FORWARDS TO", "DELETED"},
          users);
  }
}

void PrintState(const json::value& state) {
  std::map<std::string, std::string> names;  // Slack id -> userName
  std::vector<std::vector<std::string>> users, groups, channels, messages, echo;
  for (const auto& u : state.at("users").as_array()) {
    names[Str(u.at("slack_id"))] = Str(u.at("userName"));
    users.push_back({Str(u.at("userName")), u.at("active").as_bool() ? "yes" : "no", EmailOf(u),
                     Join(u.at("groups"), Str), Str(u.at("slack_id")), Str(u.at("id"))});
  }
  for (const auto& g : state.at("groups").as_array()) {
    groups.push_back({Str(g.at("displayName")), Join(g.at("members"), [](const json::value& m) {
                        const std::string display = Str(m.at("display"));
                        return display.empty() ? Str(m.at("value")) : display;
                      }),
                      Str(g.at("id"))});
  }
  auto user_name = [&](const json::value& id) { return names.contains(Str(id)) ? names[Str(id)] : Str(id); };
  for (const auto& c : state.at("channels").as_array()) {
    channels.push_back({"#" + Str(c.at("name")), Join(c.at("members"), user_name), Str(c.at("id"))});
  }
  for (const auto& m : state.at("messages").as_array()) {
    const std::string channel = Str(m.at("channel_name"));
    const bool scim_user = names.contains(Str(m.at("channel")));  // else a colleague: channel_name is their e-mail
    messages.push_back({channel.starts_with("#") ? channel : "@" + (scim_user ? user_name(m.at("channel")) : channel),
                        Str(m.at("text"))});
  }
  for (const auto& kv : state.at("echo_counts").as_object()) echo.push_back({std::string(kv.key()), Str(kv.value())});
  Table("Accounts", {"USER", "ACTIVE", "EMAIL", "GROUPS", "SLACK", "SCIM ID"}, users);
  Table("Groups", {"GROUP", "MEMBERS", "SCIM ID"}, groups);
  Table("Slack channels", {"CHANNEL", "MEMBERS", "ID"}, channels);
  Table("Slack messages", {"TO", "TEXT"}, messages);
  std::vector<std::vector<std::string>> emails;
  if (const auto* list = state.as_object().if_contains("emails"); list != nullptr && list->is_array()) {
    for (const auto& e : list->as_array()) {
      std::string to;
      for (const auto& t : e.at("to").as_array()) to += (to.empty() ? "" : ", ") + Str(t);
      emails.push_back({to, Str(e.at("data"))});
    }
  }
  if (!emails.empty()) Table("E-mails (SMTP)", {"TO", "MESSAGE"}, emails);
  if (!echo.empty()) Table("Echo requests by Idempotency-Key", {"KEY", "REQUESTS"}, echo);
  PrintCloudState(state);
}

ExitCode Show(const ClientOptions& o) {
  auto res = Call("GET", o.url + "/_sandbox/state");
  if (!res) return ExitCode::kFailed;
  boost::system::error_code ec;
  auto state = json::parse(res->body, ec);
  if (ec || !state.is_object()) {
    std::cerr << "tenure sandbox: " << o.url << " did not answer with sandbox state\n";
    return ExitCode::kFailed;
  }
  if (o.json) {
    std::cout << json::serialize(state) << "\n";
    return ExitCode::kOk;
  }
  try {
    PrintState(state);
  } catch (const std::exception& e) {  // a field of the wrong shape: not our sandbox, or another version
    std::cerr << "tenure sandbox: unexpected state from " << o.url << ": " << e.what() << "\n";
    return ExitCode::kFailed;
  }
  return ExitCode::kOk;
}

ExitCode Reset(const ClientOptions& o) {
  if (!Call("POST", o.url + "/_sandbox/reset")) return ExitCode::kFailed;
  std::cout << "sandbox at " << o.url
            << " reset: no users, groups, channels or messages; the Google and Microsoft 365 demo directories as at start\n";
  return ExitCode::kOk;
}

void AddServe(CLI::App& sandbox_app, ExitCode* exit_code) {
  auto o = std::make_shared<ServeOptions>();
  auto* s = sandbox_app.add_subcommand("serve", "Run the sandbox on 127.0.0.1 until Ctrl-C (SIGINT) or SIGTERM");
  s->add_option("--port", o->port, "TCP port; 0 picks a free one and prints it")->capture_default_str();
  s->add_option("--smtp-port", o->smtp_port, "Also accept e-mail (plain SMTP) on this port, 0 = a free one; shown by `show`");
  s->add_option("--token", o->token, "Bearer token SCIM and Slack clients must send (\"\" = none)")->capture_default_str();
  s->add_option("--latency", o->latency_ms, "Delay every answer by MS milliseconds")->check(CLI::Range(0, 600'000));
  s->add_option("--rate", o->rate, "Allow N requests per second; answer the rest 429 + Retry-After")->check(CLI::Range(0, 1'000'000));
  s->add_option("--fail-rate", o->fail_rate, "Share of requests answered 500 (0..1)")->check(CLI::Range(0.0, 1.0));
  s->add_option("--reset-rate", o->reset_rate, "Share of connections reset after the request (0..1)")->check(CLI::Range(0.0, 1.0));
  s->add_option("--stall-rate", o->stall_rate, "Share of answers held for --stall-ms after acting (0..1)")->check(CLI::Range(0.0, 1.0));
  s->add_option("--stall-ms", o->stall_ms, "How long a stalled answer is held")->capture_default_str();
  s->add_option("--fault-path", o->fault_path, "Apply the faults above only under this path prefix (e.g. /scim)");
  s->add_option("--state", o->state_file, "Persist state to FILE (JSON, written atomically) and reload it at start");
  s->add_option("--secret-headers", o->secret_headers, "Header names the echo endpoint masks as *** (besides Authorization)")
      ->delimiter(',');
  s->add_option("--seed", o->seed, "Seed for the fault draws (--fail-rate etc.)")->capture_default_str();
  s->add_option("--tls-cert", o->tls_cert, "Serve HTTPS with this PEM certificate chain")->needs(s->add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert"));
  s->add_option("--scim-profile", o->scim_profile,
                 "SCIM provider to stand in for: full, or eq-only (only `attribute eq \"value\"` filters, users "
                 "without `groups`)")
      ->check(CLI::IsMember({"full", "eq-only"}))
      ->capture_default_str();
  s->add_option("--scim-max-results", o->scim_max_results, "The most resources one SCIM page holds, whatever `count` asks")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  s->add_flag("--scim-keep-active", o->scim_keep_active,
              "Quirk: answer a deactivation (PATCH/PUT active false) as done but keep the user active (read-back "
              "tests, docs/proof.md)");
  s->add_flag("--quiet", o->quiet, "Do not log requests on stderr");
  s->add_flag("--no-demo", o->no_demo,
              "Start the Google and Microsoft personalities empty (default: a demo leaver, manager, groups, licences)");
  s->add_option("--google-key-file", o->google_key_file,
                "Where to write the Google service-account key (default: beside --state, else a new temp dir)");
  s->add_option("--transfer-delay", o->transfer_delay_ms, "How long a Google data transfer takes, in ms")
      ->check(CLI::Range(0, 3'600'000))
      ->capture_default_str();
  s->footer(
      "Examples:\n"
      "  tenure sandbox serve\n"
      "  tenure sandbox serve --port 0 --token s3cret --state /tmp/sandbox.json\n"
      "  tenure sandbox serve --latency 200 --rate 5 --fail-rate 0.1 --fault-path /scim\n"
      "  tenure sandbox serve --scim-profile eq-only --scim-max-results 10\n"
      "Faults can also be changed while it runs:\n"
      "  curl -X POST localhost:8089/_sandbox/faults -d '{\"path_prefix\":\"/api\",\"stall_rate\":1,\"stall_ms\":5000}'");
  s->callback([o, exit_code] { *exit_code = Serve(*o); });
}

void AddClientCommand(CLI::App& sandbox_app, ExitCode* exit_code, bool show) {
  auto o = std::make_shared<ClientOptions>();
  o->url = DefaultUrl();
  auto* c = show ? sandbox_app.add_subcommand("show", "Print who has an account, in which groups, and which messages were posted")
                 : sandbox_app.add_subcommand("reset", "Empty a running sandbox (users, groups, channels, messages, faults; the cloud demo directories return)");
  c->add_option("--url", o->url, "The sandbox's base URL (default $TENURE_SANDBOX_URL or http://127.0.0.1:8089)");
  if (show) {
    c->add_flag("--json", o->json, "Print the raw state as JSON");
    c->footer("Examples:\n  tenure sandbox show\n  tenure sandbox show --url http://127.0.0.1:43117 --json");
    c->callback([o, exit_code] { *exit_code = Show(*o); });
  } else {
    c->footer("Examples:\n  tenure sandbox reset\n  tenure sandbox reset --url http://127.0.0.1:43117");
    c->callback([o, exit_code] { *exit_code = Reset(*o); });
  }
}

}  // namespace

void RegisterSandboxCommand(CLI::App& app, ExitCode* exit_code) {
  auto* s = app.add_subcommand("sandbox", "A local SaaS sandbox (SCIM 2.0, Slack API, Google Workspace, Microsoft 365, echo) to run playbooks against");
  s->require_subcommand(1);
  s->footer(
      "Examples:\n"
      "  tenure sandbox serve                 # http://127.0.0.1:8089, token sandbox-token\n"
      "  tenure sandbox show                  # accounts, groups, channels, messages, Google and Microsoft 365\n"
      "  tenure sandbox reset\n"
      "Run 'tenure sandbox serve --help' for latency, rate limits and fault injection.");
  AddServe(*s, exit_code);
  AddClientCommand(*s, exit_code, true);
  AddClientCommand(*s, exit_code, false);
}

}  // namespace tenure::cli
