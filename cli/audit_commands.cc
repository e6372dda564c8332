// verify-log and evidence: the audit log's hash chain checked, and an evidence pack for an auditor
// (docs/audit.md).
#include <iostream>

#include "cli/audit.h"
#include "cli/commands.h"
#include "cli/engine_host.h"
#include "engine/audit_log.h"
#include "workflows/value.h"

namespace tenure::cli {
namespace {

struct VerifyOptions {
  std::string db;
  std::string run;
  bool json = false;
};

ExitCode VerifyLog(const VerifyOptions& o) {
  auto store = engine::OpenSqliteStore(engine::DefaultDbPath(o.db));
  if (!store) {
    std::cerr << "tenure: " << store.error().message << "\n";
    return ExitCodeFor(store.error());
  }
  auto check = CheckAuditLog(**store, o.run);
  if (!check) {
    std::cerr << "tenure: " << check.error().message << "\n";
    return ExitCodeFor(check.error());
  }
  if (o.json) {
    std::cout << ChainCheckJson(*check, o.run).ToJson() << "\n";
  } else if (check->broken) {
    std::cout << "audit log BROKEN: " << check->broken->message << "\n"
              << "  expected " << check->broken->what << ": " << check->broken->expected << "\n"
              << "  found    " << check->broken->what << ": " << check->broken->found << "\n"
              << "  " << check->events << " events before it are intact\n";
  } else {
    std::cout << "audit log intact: " << check->events << " events"
              << (o.run.empty() ? " of " + std::to_string(check->runs) + " runs and schedules" : " of run " + o.run)
              << "\n  head " << check->head << "\n";
  }
  return check->broken ? ExitCode::kFailed : ExitCode::kOk;
}

}  // namespace

Result<engine::ChainCheck> CheckAuditLog(engine::StateStore& store, const std::string& run) {
  auto log = store.ReadAuditLog(run);
  if (!log) return log.error();
  return engine::VerifyChain(*log, run);
}

Value ChainCheckJson(const engine::ChainCheck& c, const std::string& run) {
  Map m;
  m.Set("intact", Value(!c.broken.has_value()));
  m.Set("run", run.empty() ? Value() : Value(run));
  m.Set("events", Value(static_cast<std::int64_t>(c.events)));
  m.Set("runs", Value(static_cast<std::int64_t>(c.runs)));
  m.Set("genesis", Value(c.genesis));
  m.Set("head", Value(c.head));
  if (c.broken) {
    Map b;
    b.Set("seq", Value(static_cast<std::int64_t>(c.broken->seq)));
    b.Set("run", Value(c.broken->run_id));
    b.Set("type", Value(c.broken->kind));
    b.Set("field", Value(c.broken->what));
    b.Set("expected", Value(c.broken->expected));
    b.Set("found", Value(c.broken->found));
    b.Set("message", Value(c.broken->message));
    m.Set("broken", Value(std::move(b)));
  } else {
    m.Set("broken", Value());
  }
  return Value(std::move(m));
}

void RegisterAuditCommands(CLI::App& app, ExitCode* exit_code) {
  auto v = std::make_shared<VerifyOptions>();
  CLI::App* c = app.add_subcommand("verify-log", "Check the audit log's hash chain and report the first broken link");
  c->add_option("--db", v->db, "State database");
  c->add_option("--run", v->run, "Only this run's (or schedule's) events and the link to the event before them");
  c->add_flag("--json", v->json, "As JSON");
  c->footer("Exit codes: 0 intact, 1 broken (the first broken link is printed), 2 bad database or unknown run.");
  c->callback([v, exit_code] { *exit_code = VerifyLog(*v); });
  RegisterEvidenceCommand(app, exit_code);
}

}  // namespace tenure::cli
