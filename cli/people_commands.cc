// tenure decide, and the console of `tenure daemon --http` (docs/people.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <sstream>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/people.h"
#include "connectors/catalog.h"
#include "console/console.h"
#include "console/server.h"
#include "engine/decisions.h"
#include "engine/links.h"
#include "engine/run_control.h"
#include "workflows/loader.h"

namespace tenure::cli {
namespace {

struct DecideFlags {
  std::string run;
  std::string task;
  std::string choice;
  std::string note;
  std::string as;
  int item = -1;
  std::string db;
};

ExitCode Decide(const DecideFlags& o) {
  auto store = engine::OpenSqliteStore(engine::DefaultDbPath(o.db));
  if (!store) {
    std::cerr << "tenure: " << store.error().message << "\n";
    return ExitCodeFor(store.error());
  }
  return DecidePerson(**store, o.run, o.task, o.choice, o.note, o.as, o.item);
}

// The admin token: the first line of `path`, which must be a 0600 file; created with a random
// token when missing.
Result<std::string> AdminToken(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return Error::Io("cannot create admin token file " + path + ": " + std::strerror(errno));
    const std::string token = engine::RandomHex(24) + "\n";
    const bool ok = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
    ::close(fd);
    if (!ok) return Error::Io("cannot write admin token file " + path);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) return Error::Io("cannot open admin token file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Error::InvalidArgument("admin token file " + path + " is accessible by other users; run: chmod 600 " + path);
  }
  char buf[512] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string token(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  token = token.substr(0, token.find('\n'));
  if (token.size() < 16) return Error::InvalidArgument("admin token file " + path + " holds fewer than 16 characters");
  return token;
}

// "caller token" lines of a 0600 file (blank lines and # comments skipped).
Result<std::map<std::string, std::string>> CallerTokens(const std::string& path) {
  std::map<std::string, std::string> out;
  if (path.empty()) return out;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::InvalidArgument("--api-tokens: cannot read " + path);
  if ((st.st_mode & 077) != 0) {
    return Error::InvalidArgument("--api-tokens: " + path + " is accessible by other users; run: chmod 600 " + path);
  }
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string caller, token;
    fields >> caller >> token;
    if (caller.empty() || token.size() < 16) {
      return Error::InvalidArgument(path + ":" + std::to_string(n) + ": expected `CALLER TOKEN` (a token of 16+ characters)");
    }
    out[token] = caller;
  }
  return out;
}

// Starts a run of DIR/NAME.yaml for an API caller: the same checks as `tenure run` (playbook,
// inputs, the connections' secrets), then a pending run the daemon picks up.
Result<Value> StartApiRun(EngineHost& host, const std::string& dir, const std::string& name, const Map& inputs,
                          const std::string& key, const std::string& caller) {
  const bool safe = !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!safe) return Error::InvalidArgument("`playbook` must be a name (letters, digits, - and _), not a path");
  std::string path = dir + "/" + name + ".yaml";
  if (::access(path.c_str(), R_OK) != 0) path = dir + "/" + name + ".yml";
  if (::access(path.c_str(), R_OK) != 0) return Error::NotFound("no playbook '" + name + "' in " + dir);
  workflows::RealFileReader files;
  const workflows::ConnectorCatalog catalog = connectors::BuiltinCatalog();
  LoadedPlaybook lp = workflows::LoadAndValidate(files, catalog, path);
  workflows::Diagnostics diags = lp.diags;
  std::vector<workflows::GivenInput> given;
  for (const auto& [k, v] : inputs) given.push_back({k, v, {}});
  Map resolved;
  if (!diags.HasErrors()) resolved = workflows::ResolveInputs(lp.pb.inputs, given, {}, diags);
  if (diags.HasErrors() || !lp.graph) {
    std::ostringstream out;
    PrintDiagnostics(diags, out);
    return Error::InvalidArgument(out.str());
  }
  for (const auto& conn : lp.pb.connections) {
    if (conn.builtin) continue;
    auto c = host.factory().Create(conn, host.redactor());
    if (!c) return Error::InvalidArgument(c.error().message);
  }
  engine::NewRun run;
  run.playbook = &lp.pb;
  run.inputs = host.redactor().RedactValue(Value(std::move(resolved))).AsMap();
  run.trigger = "api:" + caller;
  run.trigger_key = key;
  auto created = engine::CreateRun(host.store(), run, host.clock().Now());
  if (!created) return created.error();
  Map m;
  m.Set("id", created->id);
  m.Set("created", created->created);
  return Value(std::move(m));
}

class Setup final : public ConsoleSetup {
 public:
  Setup(engine::LinkKey key, engine::PeopleConfig people, console::ServerOptions server, console::ConsoleOptions options)
      : key_(std::move(key)), people_(std::move(people)), server_options_(std::move(server)), options_(std::move(options)) {
    people_.key = &key_;
  }
  ~Setup() override {
    if (server_) server_->Stop();
  }
  const engine::PeopleConfig* people() const { return &people_; }

  void Start(boost::asio::io_context& io, engine::Daemon& daemon, engine::StateStore& store, engine::Clock& clock) {
    console_ = std::make_unique<console::Console>(store, clock, key_, options_, [&daemon] { daemon.Wake(); });
    auto s = console::ConsoleServer::Start(io.get_executor(), *console_, server_options_);
    if (!s) {
      std::cerr << "tenure daemon: " << s.error().message << "\n";
      daemon.Stop();
      return;
    }
    server_ = std::move(*s);
    // Port 0 asks for a free port: the links and the banner name the one actually bound.
    const std::string unbound = ":0";
    if (server_options_.port == 0 && people_.base_url.ends_with(unbound)) {
      people_.base_url.resize(people_.base_url.size() - unbound.size());
      people_.base_url += ":" + std::to_string(server_->port());
    }
    std::cout << "console on " << people_.base_url << " (admin token in the token file)" << std::endl;
  }

 private:
  engine::LinkKey key_;
  engine::PeopleConfig people_;
  console::ServerOptions server_options_;
  console::ConsoleOptions options_;
  std::unique_ptr<console::Console> console_;
  std::unique_ptr<console::ConsoleServer> server_;
};

}  // namespace

ExitCode DecidePerson(engine::StateStore& store, const std::string& run, const std::string& task,
                      const std::string& choice, const std::string& note, const std::string& as, int item) {
  const std::string user = engine::CurrentUser();
  engine::DecisionRequest q;
  q.run_id = run;
  q.task = task;
  if (item >= 0) q.item = item;
  q.kind = engine::DecisionRequest::Kind::kChoice;
  q.choice = choice;
  q.note = note;
  q.person = user;
  q.via = "cli:" + user;
  if (!as.empty()) {
    // An admin answers for a person (who told them by phone, say); the person's name is recorded,
    // with the admin in `via`. The approvers are checked against the person.
    const auto admins = engine::AdminsFromEnvironment();
    if (admins.count(user) == 0) {
      std::cerr << "tenure: only admins may decide --as someone else; " << user
                << " is not in TENURE_ADMINS (see docs/people.md)\n";
      return ExitCode::kUsage;
    }
    q.person = as;
    q.via = "cli:" + user + " as " + as;
  }
  auto r = engine::DecideAs(store, q, std::chrono::system_clock::now());
  if (!r) {
    std::cerr << "tenure: " << r.error().message << "\n";
    return ExitCodeFor(r.error());
  }
  std::cout << "task " << task << (item >= 0 ? " item " + std::to_string(item) : "") << " of run " << run << ": '"
            << choice << "' recorded for " << q.person << "; the daemon continues it (or: tenure resume " << run
            << ")\n";
  return ExitCode::kOk;
}

void AddHttpFlags(CLI::App* d, HttpFlags* f) {
  d->add_option("--http", f->listen,
                "Serve the web console, the JSON API and the decision links on HOST:PORT (e.g. 127.0.0.1:8420)");
  d->add_option("--public-url", f->public_url, "Base URL of the links sent to people (default http://HOST:PORT)");
  d->add_option("--admin-token-file", f->admin_token_file,
                "File (mode 0600) with the admin bearer token (default DB.admin-token, created when missing)");
  d->add_option("--trusted-user-header", f->trusted_user_header,
                "A header set by a trusted reverse proxy naming the signed-in admin (e.g. X-Forwarded-User)");
  d->add_option("--tls-cert", f->tls_cert, "PEM certificate chain: serve HTTPS");
  d->add_option("--tls-key", f->tls_key, "PEM private key for --tls-cert");
  d->add_option("--link-ttl", f->link_ttl, "How long a decision link stays valid (default 7d)");
  d->add_option("--playbooks", f->playbooks_dir, "POST /api/v1/runs starts playbooks by name from this directory");
  d->add_option("--api-tokens", f->api_tokens, "File (mode 0600) of `CALLER TOKEN` lines allowed to POST /api/v1/runs");
}

Result<std::unique_ptr<ConsoleSetup>> SetUpConsole(EngineHost& host, const std::string& db_path, const HttpFlags& f) {
  if (f.listen.empty()) return std::unique_ptr<ConsoleSetup>();
  auto server = console::ParseListen(f.listen);
  if (!server) return server.error();
  server->tls_cert_file = f.tls_cert;
  server->tls_key_file = f.tls_key;
  auto key = engine::LinkKey::LoadOrCreate(db_path);
  if (!key) return key.error();
  auto token = AdminToken(f.admin_token_file.empty() ? db_path + ".admin-token" : f.admin_token_file);
  if (!token) return token.error();
  auto ttl = workflows::ParseDuration(f.link_ttl);
  if (!ttl || ttl->count() <= 0) return Error::InvalidArgument("--link-ttl takes a duration such as 7d, not '" + f.link_ttl + "'");
  engine::PeopleConfig people;
  const bool tls = !f.tls_cert.empty();
  people.base_url = f.public_url.empty() ? std::string(tls ? "https://" : "http://") +
                                               (server->address.find(':') != std::string::npos ? "[" + server->address + "]"
                                                                                              : server->address) +
                                               ":" + std::to_string(server->port)
                                         : f.public_url;
  while (!people.base_url.empty() && people.base_url.back() == '/') people.base_url.pop_back();
  people.link_ttl_ms = ttl->count();
  console::ConsoleOptions options;
  options.admin_token = *token;
  for (char c : f.trusted_user_header) options.trusted_user_header += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  options.secure_cookies = tls;
  auto callers = CallerTokens(f.api_tokens);
  if (!callers) return callers.error();
  options.caller_tokens = std::move(*callers);
  if (!f.playbooks_dir.empty()) {
    options.start_run = [&host, dir = f.playbooks_dir](const std::string& name, const Map& inputs,
                                                       const std::string& run_key, const std::string& caller) {
      return StartApiRun(host, dir, name, inputs, run_key, caller);
    };
  }
  auto setup = std::make_unique<Setup>(std::move(*key), std::move(people), std::move(*server), std::move(options));
  Setup* raw = setup.get();
  host.set_people(raw->people());
  host.set_on_daemon([raw, &host](boost::asio::io_context& io, engine::Daemon& daemon) {
    raw->Start(io, daemon, host.store(), host.clock());
  });
  return std::unique_ptr<ConsoleSetup>(std::move(setup));
}

void RegisterPeopleCommands(CLI::App& app, ExitCode* exit_code) {
  auto d = std::make_shared<DecideFlags>();
  CLI::App* c = app.add_subcommand("decide", "Answer a waiting manual task (manual.decide, or approve/reject/done)");
  c->add_option("run", d->run, "Run id")->required();
  c->add_option("task", d->task, "Task id")->required();
  c->add_option("--choice", d->choice, "The answer: one of the task's choices (yes/no by default)")->required();
  c->add_option("--note", d->note, "Why; stored with the decision");
  c->add_option("--item", d->item, "Only this for_each item (default: every waiting item at once)");
  c->add_option("--as", d->as, "Decide for this person (e-mail); only for admins listed in TENURE_ADMINS");
  c->add_option("--db", d->db,
                "State database (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db, else "
                "~/.local/state/tenure/tenure.db)");
  c->footer(
      "Examples:\n  tenure decide r20261123-074512-3fa9c1 forward --choice no --note \"no forward, per HR\"\n"
      "  tenure decide RUN laptop_returned --item 2 --choice done\n"
      "Exit codes: 0 recorded, 2 not waiting, not an approver, not a choice, or --as without being an admin.");
  c->callback([d, exit_code] { *exit_code = Decide(*d); });
}

}  // namespace tenure::cli
