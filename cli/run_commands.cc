// run, resume, retry, cancel, approve, reject: the commands that start or change runs. The read-only
// ones (runs, status, logs, report) are in cli/run_views.cc.
#include <spawn.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <thread>

#include "cli/batch.h"
#include "cli/commands.h"
#include "cli/engine_host.h"
#include "cli/people.h"
#include "cli/load.h"
#include "cli/prepare_run.h"
#include "cli/progress.h"
#include "cli/run_views.h"
#include "connectors/catalog.h"
#include "engine/guards.h"
#include "engine/run_control.h"

extern char** environ;

namespace tenure::cli {
namespace {

using engine::RunStatus;

struct RunOptions {
  std::string file;
  std::vector<std::string> inputs;
  std::vector<std::string> sets;
  std::string key;
  std::string db;
  OutputOptions out;
  std::string color;  // --color's word (out.color)
  bool detach = false;
  std::string batch;       // --inputs FILE: one run per row
  std::string key_column;  // --key-column C
  int allow_mass = 0;      // --allow-mass N: past the blast-radius guards (docs/guards.md)
};

ExitCode FollowOther(EngineHost& host, const std::string& id, const OutputOptions& out);

// Executes `id` with live progress and prints the summary; the exit code follows the run. With
// `follow_other`, a run that another live process executes is followed until it stops instead.
ExitCode ExecuteWithProgress(EngineHost& host, const std::string& id, const OutputOptions& out,
                             std::vector<std::string> tasks, bool follow_other = false) {
  const bool json = out.json;
  std::map<std::string, std::string> earlier;  // resume, retry: what finished before this process
  if (tasks.empty()) {
    if (auto rows = host.store().GetTasks(id)) {
      for (const auto& r : *rows) {
        if (r.item >= 0 || r.task.find(':') != std::string::npos) continue;
        tasks.push_back(r.task);
        if (engine::IsTerminal(r.status)) earlier[r.task] = engine::TaskStatusName(r.status);
      }
    }
  }
  auto reporter = out.quiet ? nullptr
                            : MakeProgress(ChooseStyle(json, out.color), std::cout, std::move(tasks),
                                           std::move(earlier), UseColor(out.color));
  bool interrupted = false;
  auto status = host.Execute(id, reporter.get(), &interrupted);
  if (interrupted) {
    std::cerr << "interrupted: run " << id << " stays resumable: tenure resume " << id << "\n";
    return ExitCode::kInterrupted;
  }
  if (!status && follow_other && status.error().Is(Errc::kConflict)) return FollowOther(host, id, out);
  if (!status) {
    std::cerr << "tenure: " << status.error().message << "\n";
    return ExitCodeFor(status.error());
  }
  if (out.quiet) return ExitCodeFor(*status);
  if (json) {
    auto run = host.store().GetRun(id);
    std::cout << "{\"run\":\"" << id << "\",\"status\":\"" << engine::RunStatusName(*status) << "\",\"error\":"
              << Value(run ? run->error : std::string()).ToJson() << "}\n";
  } else {
    PrintSummary(host.store(), id, std::cout);
  }
  return ExitCodeFor(*status);
}

// Prints where run `id` stopped, as ExecuteWithProgress does, and returns its exit code.
ExitCode Report(EngineHost& host, const std::string& id, const OutputOptions& out) {
  auto run = host.store().GetRun(id);
  if (!run) {
    std::cerr << "tenure: " << run.error().message << "\n";
    return ExitCodeFor(run.error());
  }
  if (out.quiet) return ExitCodeFor(run->status);
  if (out.json) {
    std::cout << "{\"run\":\"" << id << "\",\"status\":\"" << engine::RunStatusName(run->status)
              << "\",\"error\":" << Value(run->error).ToJson() << "}\n";
  } else {
    PrintSummary(host.store(), id, std::cout);
  }
  return ExitCodeFor(run->status);
}

// Waits while another live process executes run `id` (polling the store), then reports where it
// stopped. If that process dies first, the run is continued here.
ExitCode FollowOther(EngineHost& host, const std::string& id, const OutputOptions& out) {
  bool told = false;
  for (;;) {
    auto run = host.store().GetRun(id);
    if (!run) {
      std::cerr << "tenure: " << run.error().message << "\n";
      return ExitCodeFor(run.error());
    }
    const bool active = run->status == RunStatus::kPending || run->status == RunStatus::kRunning;
    if (!active) return Report(host, id, out);
    if (run->owner.empty() || engine::OwnerGone(run->owner)) {
      return ExecuteWithProgress(host, id, out, {}, /*follow_other=*/true);
    }
    if (!told && !out.json && !out.quiet) {
      std::cerr << "run " << id << " is being executed by " << run->owner << "; following it until it stops\n";
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// A trigger whose key an earlier run has: never a second run. A finished or waiting run is
// reported with its exit code; one that is still pending or running is followed to its end (or
// continued here when nobody executes it), so a second trigger never exits 0 before the first
// run has succeeded.
// A key taken by a run of another playbook is an error: that run says nothing about this one.
ExitCode FollowExisting(EngineHost& host, const std::string& id, const std::string& playbook, const RunOptions& o) {
  auto existing = host.store().GetRun(id);
  if (!existing) {
    std::cerr << "tenure: " << existing.error().message << "\n";
    return ExitCodeFor(existing.error());
  }
  if (existing->playbook != playbook) {
    std::cerr
        << "tenure run: key " << o.key << " is taken by run " << id << " of playbook " << existing->playbook << " ("
        << engine::RunStatusName(existing->status) << "), not " << playbook
        << "; give this run another --key (keys are unique across playbooks: e.g. prefix them with the playbook)\n";
    return ExitCode::kUsage;
  }
  if (!o.out.quiet) {
    std::cout << "run " << id << " already exists for key " << o.key << " (" << engine::RunStatusName(existing->status)
              << "); not starting another\n";
  }
  const bool active = existing->status == RunStatus::kPending || existing->status == RunStatus::kRunning;
  if (!active || o.detach) return ExitCodeFor(existing->status);  // pending/running: 3, not over yet
  std::cout << std::flush;
  return FollowOther(host, id, o.out);
}

// Starts `tenure resume ID --db DB` as a detached process (own session, no terminal).
ExitCode Detach(const std::string& id, const std::string& db) {
  const std::string self = "/proc/self/exe";
  std::vector<std::string> args = {"tenure", "resume", id, "--db", engine::DefaultDbPath(db)};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &files, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    std::cerr << "tenure: cannot start the background process: " << std::strerror(rc) << "\n";
    return ExitCode::kInternal;
  }
  std::cout << "run " << id << " started in the background (pid " << pid << "); follow it with: tenure logs " << id
            << " --follow"
            << "\n";
  return ExitCode::kOk;
}

ExitCode Run(const RunOptions& o) {
  workflows::RealFileReader files;
  const workflows::ConnectorCatalog catalog = connectors::BuiltinCatalog();
  LoadedPlaybook lp = workflows::LoadAndValidate(files, catalog, o.file);
  workflows::Diagnostics diags = lp.diags;
  Map inputs;
  // The same checks as `plan`, before anything is opened or recorded.
  if (!diags.HasErrors()) inputs = PrepareRun(files, catalog, lp, o.file, o.inputs, o.sets, diags).inputs;
  if (diags.HasErrors() || !lp.graph) {
    PrintDiagnostics(diags, std::cerr);
    return ExitCode::kUsage;
  }
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  // Resolve every connection's secrets now: a missing one stops the run before it exists, and
  // every value is known to the redactor before the inputs are stored.
  for (const auto& conn : lp.pb.connections) {
    if (conn.builtin) continue;
    auto c = (*host)->factory().Create(conn, (*host)->redactor());
    if (!c) {
      std::cerr << "tenure: " << c.error().message << "\n";  // names the connection and the key
      return ExitCode::kUsage;
    }
  }
  // Blast-radius guards (docs/guards.md): before the run exists. A key that already has a run
  // starts nothing, so it is not counted.
  if (o.key.empty() || !KeyTaken((*host)->store(), lp.pb.name, o.key)) {
    engine::GuardRequest g;
    g.new_runs = 1;
    g.allow_mass = o.allow_mass;
    g.now_ms = engine::ToUnixMillis((*host)->clock().Now());
    g.source = "this run";
    if (auto ok = engine::CheckGuards((*host)->store(), lp.pb, catalog, g); !ok) {
      std::cerr << "tenure: " << ok.error().message << "\n";
      return ExitCodeFor(ok.error());
    }
  }
  engine::NewRun run;
  run.playbook = &lp.pb;
  run.inputs = (*host)->redactor().RedactValue(Value(std::move(inputs))).AsMap();
  run.trigger = "cli:" + engine::CurrentUser();
  run.trigger_key = o.key;
  auto created = engine::CreateRun((*host)->store(), run, (*host)->clock().Now());
  if (!created) {
    std::cerr << "tenure: " << created.error().message << "\n";
    return ExitCode::kInternal;
  }
  if (!created->created) return FollowExisting(**host, created->id, lp.pb.name, o);
  if (o.detach) return Detach(created->id, o.db);
  if (!o.out.json && !o.out.quiet) std::cerr << "run " << created->id << ": playbook " << lp.pb.name << "\n";
  std::vector<std::string> tasks;
  for (const auto& t : lp.pb.tasks) tasks.push_back(t.id);
  const ExitCode c = ExecuteWithProgress(**host, created->id, o.out, std::move(tasks), /*follow_other=*/true);
  return c;
}

struct ResumeOptions {
  std::string run;
  bool all = false;
  std::string db;
  OutputOptions out;
  std::string color;  // --color's word (out.color)
  std::string task;  // retry only
};

// Whether resuming a waiting run can change anything: a decision or retry recorded since an
// executor last read its tasks (counted, not compared by time: a decision recorded while the run
// was still executing counts too), or a timer that is due. (`resume --all` from cron must not add
// two log lines per parked run a minute.)
bool CanProgress(engine::StateStore& store, const engine::RunRecord& run, std::int64_t now_ms) {
  if (run.status != RunStatus::kWaiting) return true;
  if (run.wakeups > run.wakeups_seen) return true;
  auto rows = store.GetTasks(run.id);
  if (!rows) return true;  // let Execute report the problem
  for (const engine::TaskRecord& t : *rows) {
    if (t.status == engine::TaskStatus::kWaiting && t.due_ms != 0 && t.due_ms <= now_ms) return true;
  }
  return false;
}

ExitCode Resume(const ResumeOptions& o) {
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  if (!o.all) return ExecuteWithProgress(**host, o.run, o.out, {});
  auto runs = (*host)->store().ListRuns({});
  if (!runs) {
    std::cerr << "tenure: " << runs.error().message << "\n";
    return ExitCode::kInternal;
  }
  ExitCode worst = ExitCode::kOk;
  int resumed = 0;
  int parked = 0;
  for (const engine::RunRecord& r : *runs) {
    const bool open = r.status == RunStatus::kPending || r.status == RunStatus::kWaiting ||
                      (r.status == RunStatus::kRunning && (r.owner.empty() || engine::OwnerGone(r.owner)));
    if (!open) continue;
    if (!CanProgress((*host)->store(), r, engine::ToUnixMillis((*host)->clock().Now()))) {
      ++parked;  // waiting for a person or a timer: normal, not an error
      continue;
    }
    ++resumed;
    const ExitCode c = ExecuteWithProgress(**host, r.id, o.out, {});
    if (c == ExitCode::kInterrupted) return c;
    // A run that stops waiting again is normal too: --all (cron) exits 0 unless one failed or was
    // cancelled, or something went wrong.
    if (c != ExitCode::kWaiting && ToInt(c) > ToInt(worst)) worst = c;
  }
  // From cron, nothing due means no output at all (no mail); on a terminal, say so.
  if (resumed == 0 && !o.out.quiet && !o.out.json && ::isatty(STDOUT_FILENO)) {
    std::cout << "nothing to resume" << (parked > 0 ? " (" + std::to_string(parked) + " waiting for a decision or a timer)" : "")
              << "\n";
  }
  return worst;
}

ExitCode RetryCommand(const ResumeOptions& o) {
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  auto reset = engine::Retry((*host)->store(), o.run, o.task, (*host)->clock().Now());
  if (!reset) {
    std::cerr << "tenure: " << reset.error().message << "\n";
    return ExitCodeFor(reset.error());
  }
  if (!o.out.json && !o.out.quiet) {
    std::cerr << "run " << o.run << ": " << *reset << (*reset == 1 ? " task row" : " task rows") << " to run again\n";
  }
  return ExecuteWithProgress(**host, o.run, o.out, {});
}

struct DecideOptions {
  std::string run;
  std::string task;
  std::string note;
  std::string db;
  std::string as;  // approve/reject --as EMAIL (admins only, cli/people_commands.cc)
  int item = -1;   // approve/reject --item N
};

ExitCode DecideCommand(const DecideOptions& o, bool approve) {
  auto store = engine::OpenSqliteStore(engine::DefaultDbPath(o.db));
  if (!store) {
    std::cerr << "tenure: " << store.error().message << "\n";
    return ExitCodeFor(store.error());
  }
  const std::string user = engine::CurrentUser();
  if (!o.as.empty() || o.item >= 0) {  // a person's decision, or one item: docs/people.md
    return DecidePerson(**store, o.run, o.task, approve ? "approve" : "reject", o.note, o.as, o.item);
  }
  auto r = engine::Decide(**store, o.run, o.task, approve, user, o.note, std::chrono::system_clock::now());
  if (!r) {
    std::cerr << "tenure: " << r.error().message << "\n";
    return ExitCodeFor(r.error());
  }
  std::cout << "task " << o.task << " of run " << o.run << (approve ? " approved" : " rejected") << " by " << user
            << "; continue with: tenure resume " << o.run << "\n";
  return ExitCode::kOk;
}

ExitCode CancelCommand(const std::string& run, const std::string& db) {
  auto store = engine::OpenSqliteStore(engine::DefaultDbPath(db));
  if (!store) {
    std::cerr << "tenure: " << store.error().message << "\n";
    return ExitCodeFor(store.error());
  }
  auto r = engine::Cancel(**store, run, std::chrono::system_clock::now());
  if (!r) {
    std::cerr << "tenure: " << r.error().message << "\n";
    return ExitCodeFor(r.error());
  }
  if (*r) {
    std::cout << "run " << run << " cancelled\n";
  } else {
    std::cout << "cancellation of run " << run << " requested: the process executing it stops within a second\n";
  }
  return ExitCode::kOk;
}

void AddDb(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db,
                  "State database (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db, else "
                  "~/.local/state/tenure/tenure.db)");
}

}  // namespace

void RegisterRunCommands(CLI::App& app, ExitCode* exit_code) {
  auto run = std::make_shared<RunOptions>();
  CLI::App* r = app.add_subcommand("run", "Start a run of a playbook and follow it to the end");
  r->add_option("file", run->file, "Playbook file")->required();
  r->add_option("--input,-i", run->inputs, "YAML/JSON file of input values (repeatable)");
  r->add_option("--set,-s", run->sets, "One input value: name=value (repeatable)");
  r->add_option("--key", run->key,
                "Trigger key: a second trigger with the same key starts nothing; it follows the first run to "
                "its end and exits with its outcome");
  AddOutputOptions(r, &run->out, &run->color, "Print one JSON event per line instead of a progress display");
  r->add_flag("--detach", run->detach, "Start the run in the background and print its id");
  r->add_option("--inputs", run->batch, "A batch: one run per row of a .csv (header = input names), .jsonl or .yaml");
  r->add_option("--allow-mass", run->allow_mass,
                "Start up to N runs even past the playbook's limits (docs/guards.md); N must cover every run started")
      ->check(CLI::Range(1, 1000000));
  r->add_option("--key-column", run->key_column,
                "With --inputs: the column that keys each row (submitting the batch again starts nothing twice)");
  AddDb(r, &run->db);
  r->footer("Examples:\n"
            "  tenure run onboarding.yaml --input people/ada.yaml\n"
            "  tenure run offboarding.yaml --set email=bob@example.com --set last_day=2026-03-31 --key hr-4711\n"
            "  tenure run onboarding.yaml --input ada.yaml --json | jq .kind\n"
            "  tenure run onboarding.yaml --input ada.yaml --detach   # then: tenure logs RUN --follow\n"
            "Exit codes: 0 succeeded, 1 failed, 2 usage or validation error (also: --key taken by a run of another\n"
            "playbook), 3 waiting, 4 cancelled, 130 interrupted (the run stays resumable).");
  r->callback([run, exit_code] {
    if (run->batch.empty()) {
      *exit_code = Run(*run);
      return;
    }
    if (!run->inputs.empty() || !run->key.empty() || run->detach) {
      std::cerr << "tenure run: --inputs (a batch) does not combine with --input, --key or --detach; use --set for "
                   "values common to every row and --key-column for keys\n";
      *exit_code = ExitCode::kUsage;
      return;
    }
    BatchOptions b = MakeBatchOptions(run->file, run->batch, run->key_column, run->sets, run->db, run->out.json);
    b.allow_mass = run->allow_mass;
    *exit_code = RunBatch(b);
  });

  auto resume = std::make_shared<ResumeOptions>();
  CLI::App* rs = app.add_subcommand("resume", "Continue a run (after a crash, an approval or a timer)");
  rs->add_option("run", resume->run, "Run id");
  rs->add_flag("--all", resume->all, "Every pending, waiting or orphaned run");
  AddOutputOptions(rs, &resume->out, &resume->color, "JSON events");
  AddDb(rs, &resume->db);
  rs->footer(
      "Examples:\n  tenure resume r20261123-074512-3fa9c1\n  tenure resume --all --quiet   # from cron: due timers, "
      "decisions\n"
      "Exit codes: RUN: 0 succeeded, 1 failed, 2 usage or unknown run, 3 waiting, 4 cancelled, 130 interrupted.\n"
      "--all: 0 when every run resumed succeeded or waits again (and when nothing was due: then it prints\n"
      "nothing), 1 when one failed, 4 when one was cancelled.");
  rs->callback([resume, exit_code] {
    if (resume->run.empty() == !resume->all) {
      std::cerr << "tenure resume: give a run id or --all\n";
      *exit_code = ExitCode::kUsage;
      return;
    }
    *exit_code = Resume(*resume);
  });

  auto retry = std::make_shared<ResumeOptions>();
  CLI::App* rt = app.add_subcommand("retry", "Run the failed tasks of a run again (same idempotency keys)");
  rt->add_option("run", retry->run, "Run id")->required();
  rt->add_option("--task", retry->task, "Only this failed task");
  AddOutputOptions(rt, &retry->out, &retry->color, "JSON events");
  AddDb(rt, &retry->db);
  rt->footer(
      "Works on a failed or cancelled run, and on a run that still waits (for a timer or a person): its\n"
      "failed tasks run again while it goes on waiting. A whole-run retry leaves rejections decided;\n"
      "--task T asks the person again.\n"
      "Example:\n  tenure retry r20261123-074512-3fa9c1 --task grant_github\n"
      "Exit codes: 0 succeeded, 1 failed, 2 nothing to retry or usage error, 3 waiting, 4 cancelled.");
  rt->callback([retry, exit_code] { *exit_code = RetryCommand(*retry); });

  auto cancel = std::make_shared<DecideOptions>();
  CLI::App* c = app.add_subcommand("cancel", "Stop a run: nothing new starts, calls in flight are cancelled");
  c->add_option("run", cancel->run, "Run id")->required();
  AddDb(c, &cancel->db);
  c->footer("Exit codes: 0 cancelled (or cancellation requested from the process executing it), 2 unknown run or\n"
            "already finished.");
  c->callback([cancel, exit_code] { *exit_code = CancelCommand(cancel->run, cancel->db); });

  for (const bool approve : {true, false}) {
    auto d = std::make_shared<DecideOptions>();
    CLI::App* a = app.add_subcommand(approve ? "approve" : "reject",
                                     approve ? "Approve a waiting manual task (records your user name and the time; "
                                               "when the task lists approvers, you must be one of them)"
                                             : "Reject a waiting manual task: it fails, its dependents are skipped "
                                               "(when the task lists approvers, you must be one of them)");
    a->add_option("run", d->run, "Run id")->required();
    a->add_option("task", d->task, "Task id")->required();
    a->add_option("--note", d->note, "Why; stored with the decision");
    a->add_option("--item", d->item, "Only this for_each item");
    a->add_option("--as", d->as, "Decide for this person (e-mail); only for admins listed in TENURE_ADMINS");
    AddDb(a, &d->db);
    a->footer(std::string("Example:\n  tenure ") + (approve ? "approve" : "reject") +
              " r20261123-074512-3fa9c1 admin_access --note \"ticket IT-1234\"\nThen: tenure resume RUN\n"
              "Exit codes: 0 recorded, 2 unknown run or task, not waiting for a decision, or not an approver.");
    a->callback([d, exit_code, approve] { *exit_code = DecideCommand(*d, approve); });
  }
  RegisterRunViews(app, exit_code);
}

}  // namespace tenure::cli
