// tenure schedule add|list|show|cancel|pause|resume|remove, and tenure daemon [status].
#include <sys/socket.h>
#include <stddef.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "cli/batch.h"
#include "cli/commands.h"
#include "cli/engine_host.h"
#include "cli/load.h"
#include "cli/people.h"
#include "connectors/catalog.h"
#include "engine/arg_checks.h"
#include "engine/cron.h"
#include "engine/daemon.h"
#include "engine/run_control.h"
#include "engine/scheduler.h"
#include "workflows/batch.h"
#include "workflows/loader.h"

namespace tenure::cli {
namespace {

using engine::ScheduleRecord;
using engine::ScheduleStatus;

struct AddOptions {
  std::string file;
  std::vector<std::string> inputs;
  std::vector<std::string> sets;
  std::string at;
  std::string cron;
  std::string tz;
  std::string key;
  std::string catch_up = "fire_once";
  std::string db;
  bool json = false;
  std::string batch;
  std::string key_column;
};

std::string Utc(std::int64_t ms) { return ms > 0 ? engine::FormatRfc3339(engine::FromUnixMillis(ms)) : "-"; }
std::string Local(std::int64_t ms, const std::string& zone) {
  return ms > 0 ? engine::FormatLocal(engine::FromUnixMillis(ms), zone) : "-";
}

Value ScheduleJson(const ScheduleRecord& s) {
  Map m;
  m.Set("id", s.id);
  m.Set("key", s.key.empty() ? Value() : Value(s.key));
  m.Set("playbook", s.playbook);
  m.Set("status", engine::ScheduleStatusName(s.status));
  m.Set("cron", s.cron.empty() ? Value() : Value(s.cron));
  m.Set("at", s.at.empty() ? Value() : Value(s.at));
  m.Set("time_zone", s.time_zone);
  m.Set("catch_up", engine::CatchUpName(s.catch_up));
  m.Set("next_fire_utc", s.next_ms > 0 ? Value(Utc(s.next_ms)) : Value());
  m.Set("next_fire_local", s.next_ms > 0 ? Value(Local(s.next_ms, s.time_zone)) : Value());
  m.Set("last_run", s.last_run.empty() ? Value() : Value(s.last_run));
  m.Set("fires", static_cast<std::int64_t>(s.fires));
  m.Set("inputs", s.inputs);
  m.Set("created_by", s.created_by);
  m.Set("created_at", Utc(s.created_ms));
  return Value(std::move(m));
}

ExitCode Fail(const Error& e) {
  std::cerr << "tenure: " << e.message << "\n";
  return ExitCodeFor(e);
}

ExitCode Add(const AddOptions& o) {
  workflows::RealFileReader files;
  LoadedPlaybook lp = LoadAndValidate(files, connectors::BuiltinCatalog(), o.file);
  workflows::Diagnostics diags = lp.diags;
  const workflows::SourceLocation cmdline{o.file, 0, 0};
  Map inputs;
  if (!diags.HasErrors()) {
    const auto given = ReadGivenInputs(files, lp.pb, o.inputs, o.sets, diags);
    inputs = workflows::ResolveInputs(lp.pb.inputs, given, cmdline, diags, engine::CheckTimeZoneName);
  }
  // Every problem of the instant too, at once with the playbook's and the inputs'.
  std::string at = o.at, tz = o.tz;
  const bool from_playbook = o.at.empty() && o.cron.empty();
  if (!o.at.empty() && !o.cron.empty()) diags.Error(cmdline, "--at/--cron", "give one of --at and --cron, not both");
  if (from_playbook && !lp.diags.HasErrors() && !lp.pb.start_at) {
    diags.Error(cmdline, "--at/--cron",
                "give --at or --cron, or declare start_at and time_zone in the playbook (e.g. start_at: "
                "\"{{ inputs.last_day }}T16:00\")");
  }
  if (from_playbook && lp.pb.start_at && !diags.HasErrors()) {
    auto start = workflows::RenderStartAt(lp.pb, inputs);
    if (!start) {
      diags.Error(lp.pb.start_at->where, "start_at", start.error().message);
    } else {
      at = start->at;
      if (tz.empty()) tz = start->time_zone;
    }
  }
  if (tz.empty() && !from_playbook) {
    diags.Error(cmdline, "--tz", "--tz is required (an IANA time zone such as Europe/Berlin)");
  } else if (!tz.empty()) {
    if (auto z = engine::CheckTimeZone(tz); !z) {
      diags.Error(from_playbook && o.tz.empty() ? lp.pb.time_zone->where : cmdline, from_playbook ? "time_zone" : "--tz",
                  z.error().message);
    }
  }
  if (!o.cron.empty()) {
    if (auto c = engine::ParseCron(o.cron); !c) diags.Error(cmdline, "--cron", c.error().message);
  }
  if (!at.empty() && !tz.empty()) {
    if (auto t = engine::LocalInstant(at, tz); !t && t.error().message.find("time zone") == std::string::npos) {
      diags.Error(from_playbook ? lp.pb.start_at->where : cmdline, from_playbook ? "start_at" : "--at",
                  t.error().message);
    }
  }
  const auto catch_up = engine::ParseCatchUp(o.catch_up);
  if (!catch_up) {
    diags.Error(cmdline, "--catch-up", "'" + o.catch_up + "' is not one of fire_once, skip, fire_all");
  }
  if (diags.HasErrors() || !lp.graph) {
    PrintDiagnostics(diags, std::cerr);
    return ExitCode::kUsage;
  }
  auto host = EngineHost::Open(o.db);
  if (!host) return Fail(host.error());
  engine::NewSchedule s;
  s.playbook = &lp.pb;
  s.inputs = (*host)->redactor().RedactValue(Value(std::move(inputs))).AsMap();
  s.cron = o.cron;
  s.at = at;
  s.time_zone = tz;
  s.key = o.key;
  s.catch_up = *catch_up;
  s.created_by = "cli:" + engine::CurrentUser();
  const engine::SystemTime now = (*host)->clock().Now();
  auto added = engine::AddSchedule((*host)->store(), s, now);
  if (!added) return Fail(added.error());
  const ScheduleRecord& r = added->schedule;
  if (o.json) {
    Map m = ScheduleJson(r).AsMap();
    m.Set("replaced", added->replaced);
    m.Set("previous_next_fire_utc", added->replaced ? Value(Utc(added->previous_next_ms)) : Value());
    std::cout << Value(std::move(m)).ToJson() << "\n";
    return ExitCode::kOk;
  }
  std::cout << "schedule " << r.id << (r.key.empty() ? "" : " (" + r.key + ")")
            << (added->replaced ? " replaced" : " added") << ": playbook " << r.playbook << ", next fire "
            << Local(r.next_ms, r.time_zone) << " (" << Utc(r.next_ms) << ")";
  if (added->replaced) std::cout << "; was " << Local(added->previous_next_ms, r.time_zone);
  if (r.next_ms <= engine::ToUnixMillis(now)) std::cout << "; in the past: fires as soon as the daemon runs";
  std::cout << "\n";
  return ExitCode::kOk;
}

struct ListOptions {
  bool all = false;
  bool json = false;
  std::string db;
};

ExitCode ListCommand(const ListOptions& o) {
  auto store = OpenExistingStore(o.db);  // reading or changing schedules never creates the database
  if (!store) return Fail(store.error());
  auto list = (*store)->ListSchedules(o.all);
  if (!list) return Fail(list.error());
  if (o.json) {
    List out;
    for (const ScheduleRecord& s : *list) out.push_back(ScheduleJson(s));
    std::cout << Value(std::move(out)).ToJson() << "\n";
    return ExitCode::kOk;
  }
  if (list->empty()) {
    std::cout << "no schedules\n";
    return ExitCode::kOk;
  }
  std::cout << std::left << std::setw(24) << "ID" << std::setw(18) << "KEY" << std::setw(24) << "PLAYBOOK"
            << std::setw(10) << "STATUS" << std::setw(26) << "NEXT (UTC)" << std::setw(26) << "NEXT (LOCAL)"
            << "RULE\n";
  for (const ScheduleRecord& s : *list) {
    const std::string rule = s.cron.empty() ? "at " + s.at + " " + s.time_zone : "cron \"" + s.cron + "\" " + s.time_zone;
    std::cout << std::setw(24) << s.id << std::setw(18) << (s.key.empty() ? "-" : s.key) << std::setw(24)
              << (s.playbook.size() > 22 ? s.playbook.substr(0, 21) + "~" : s.playbook)
              << std::setw(10) << engine::ScheduleStatusName(s.status) << std::setw(26) << Utc(s.next_ms)
              << std::setw(26) << Local(s.next_ms, s.time_zone) << rule
              << (s.last_run.empty() ? "" : "  last run " + s.last_run) << "\n";
  }
  return ExitCode::kOk;
}

struct OneOptions {
  std::string id;
  std::string note;
  bool json = false;
  std::string db;
};

ExitCode Show(const OneOptions& o) {
  auto store = OpenExistingStore(o.db);  // reading or changing schedules never creates the database
  if (!store) return Fail(store.error());
  auto s = (*store)->GetSchedule(o.id);
  if (!s) return Fail(s.error());
  auto events = (*store)->GetScheduleEvents(s->id);
  if (!events) return Fail(events.error());
  if (o.json) {
    Map m = ScheduleJson(*s).AsMap();
    List evs;
    for (const engine::EventRecord& e : *events) {
      Map em;
      em.Set("at", Utc(e.at_ms));
      em.Set("kind", e.kind);
      em.Set("detail", e.detail);
      evs.push_back(Value(std::move(em)));
    }
    m.Set("events", Value(std::move(evs)));
    std::cout << Value(std::move(m)).ToJson() << "\n";
    return ExitCode::kOk;
  }
  std::cout << "schedule   " << s->id << "\n"
            << "key        " << (s->key.empty() ? "-" : s->key) << "\n"
            << "playbook   " << s->playbook << "\n"
            << "status     " << engine::ScheduleStatusName(s->status) << "\n"
            << "rule       " << (s->cron.empty() ? "at " + s->at : "cron \"" + s->cron + "\"") << " " << s->time_zone
            << " (catch_up: " << engine::CatchUpName(s->catch_up) << ")\n"
            << "next fire  " << Local(s->next_ms, s->time_zone) << " (" << Utc(s->next_ms) << ")\n"
            << "last run   " << (s->last_run.empty() ? "-" : s->last_run) << " (" << s->fires << " fired)\n"
            << "inputs     " << s->inputs.ToJson() << "\n"
            << "created    " << Utc(s->created_ms) << " by " << s->created_by << "\n\n";
  for (const engine::EventRecord& e : *events) {
    std::cout << Utc(e.at_ms) << "  " << e.kind << ": " << e.detail << "\n";
  }
  return ExitCode::kOk;
}

ExitCode Change(const OneOptions& o, const std::vector<ScheduleStatus>& from, ScheduleStatus to,
                const std::string& kind, const std::string& verb) {
  auto store = OpenExistingStore(o.db);  // reading or changing schedules never creates the database
  if (!store) return Fail(store.error());
  const std::string who = engine::CurrentUser();
  auto s = (*store)->SetScheduleStatus(o.id, from, to, kind,
                                       verb + " by cli:" + who + (o.note.empty() ? "" : ": " + o.note),
                                       engine::ToUnixMillis(std::chrono::system_clock::now()));
  if (!s) return Fail(s.error());
  std::cout << "schedule " << s->id << (s->key.empty() ? "" : " (" + s->key + ")") << " " << verb << "\n";
  return ExitCode::kOk;
}

// ---- the daemon ---------------------------------------------------------------------------------

struct DaemonOptions {
  std::string db;
  std::string log_format = "text";
  std::string poll = "1s";
  std::string grace = "30s";
  int max_in_flight = 256;
  bool json = false;
  HttpFlags http;  // --http: the console and decision links (cli/people_commands.cc)
};

std::string JsonEscape(const std::string& s) { return Value(s).ToJson(); }

// Tells systemd (Type=notify) that the daemon is ready: a datagram "READY=1" to $NOTIFY_SOCKET.
void NotifySystemd(const std::string& message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string p = path;
  if (p.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, p.data(), p.size());
  if (p[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size()));
  ::close(fd);
}

void WriteStatusFile(const std::string& path, const engine::DaemonStats& st, bool stopping) {
  Map m;
  m.Set("pid", static_cast<std::int64_t>(::getpid()));
  m.Set("owner", engine::CurrentOwner());
  m.Set("started_at", engine::FormatRfc3339(st.started_at));
  m.Set("heartbeat", engine::FormatRfc3339(std::chrono::system_clock::now()));
  m.Set("heartbeat_ms", engine::ToUnixMillis(std::chrono::system_clock::now()));
  m.Set("stopping", stopping);
  m.Set("active_runs", static_cast<std::int64_t>(st.active));
  m.Set("schedules_fired", st.fired);
  m.Set("schedules_skipped", st.skipped);
  m.Set("runs_started", st.runs_started);
  m.Set("runs_ended", st.runs_ended);
  m.Set("errors", st.errors);
  m.Set("next_due", st.next_due_ms > 0 ? Value(Utc(st.next_due_ms)) : Value());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << Value(std::move(m)).ToJson() << "\n";
    if (!out) return;
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

ExitCode DaemonStatus(const DaemonOptions& o) {
  const std::string db = engine::DefaultDbPath(o.db);
  const std::string path = engine::DaemonStatusPath(db);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const bool running = engine::DaemonLock::Held(db);
  Value status;
  if (in) {
    boost::system::error_code ec;
    auto j = boost::json::parse(text.str(), ec);
    if (!ec) status = FromJsonValue(j);
  }
  auto store = OpenExistingStore(o.db);  // a status query never creates the database
  if (!store) return Fail(store.error());
  auto runs = (*store)->ListRuns({});
  auto next = (*store)->NextScheduleDue();
  auto timers = (*store)->NextTimerDue(engine::ToUnixMillis(std::chrono::system_clock::now()));
  std::map<std::string, int> by_status;
  if (runs) {
    for (const auto& r : *runs) ++by_status[engine::RunStatusName(r.status)];
  }
  const std::int64_t now_ms = engine::ToUnixMillis(std::chrono::system_clock::now());
  const std::int64_t heartbeat = status.IsMap() && status.AsMap().Find("heartbeat_ms") != nullptr
                                     ? status.AsMap().Find("heartbeat_ms")->AsInt()
                                     : 0;
  const bool healthy = running && heartbeat > 0 && now_ms - heartbeat < 10'000;
  if (o.json) {
    Map m;
    m.Set("running", running);
    m.Set("healthy", healthy);
    m.Set("database", db);
    m.Set("daemon", status);
    Map counts;
    for (const auto& [k, v] : by_status) counts.Set(k, static_cast<std::int64_t>(v));
    m.Set("runs", Value(std::move(counts)));
    m.Set("next_schedule", next && *next > 0 ? Value(Utc(*next)) : Value());
    m.Set("next_timer", timers && *timers > 0 ? Value(Utc(*timers)) : Value());
    std::cout << Value(std::move(m)).ToJson() << "\n";
  } else {
    std::cout << "daemon     " << (running ? (healthy ? "running" : "running, but its heartbeat is stale") : "not running")
              << " on " << db << "\n";
    if (status.IsMap()) {
      const Map& s = status.AsMap();
      auto field = [&](const char* k) { const Value* v = s.Find(k); return v ? v->ToText() : std::string("-"); };
      std::cout << "pid        " << field("pid") << ", started " << field("started_at") << ", heartbeat "
                << field("heartbeat") << "\n"
                << "holds      " << field("active_runs") << " runs in flight\n"
                << "since start " << field("schedules_fired") << " schedules fired, " << field("schedules_skipped")
                << " skipped, " << field("runs_started") << " runs started, " << field("runs_ended") << " ended, "
                << field("errors") << " errors\n";
    }
    std::cout << "runs      ";
    if (by_status.empty()) std::cout << " none";
    for (const auto& [k, v] : by_status) std::cout << " " << v << " " << k;
    std::cout << "\nnext due   schedule " << (next && *next > 0 ? Utc(*next) : "-") << ", timer "
              << (timers && *timers > 0 ? Utc(*timers) : "-") << "\n";
  }
  return running ? (healthy ? ExitCode::kOk : ExitCode::kFailed) : ExitCode::kWaiting;
}

ExitCode Daemon(const DaemonOptions& o) {
  if (o.log_format != "text" && o.log_format != "json") {
    std::cerr << "tenure daemon: --log-format must be text or json, not '" << o.log_format << "'\n";
    return ExitCode::kUsage;
  }
  auto poll = workflows::ParseDuration(o.poll);
  auto grace = workflows::ParseDuration(o.grace);
  if (!poll || !grace || poll->count() <= 0) {
    std::cerr << "tenure daemon: --poll and --grace take a duration such as 1s or 30s\n";
    return ExitCode::kUsage;
  }
  const std::string db = engine::DefaultDbPath(o.db);
  auto host = EngineHost::Open(o.db);
  if (!host) return Fail(host.error());
  auto lock = engine::DaemonLock::Acquire(db);
  if (!lock) return Fail(lock.error());
  engine::DaemonOptions options;
  options.poll = std::chrono::duration_cast<std::chrono::milliseconds>(*poll);
  const bool json = o.log_format == "json";
  auto log = [json](const engine::DaemonEvent& e) {
    if (json) {
      std::cout << "{\"at\":" << JsonEscape(engine::FormatRfc3339(e.at)) << ",\"event\":" << JsonEscape(e.kind)
                << ",\"schedule\":" << (e.schedule.empty() ? "null" : JsonEscape(e.schedule))
                << ",\"run\":" << (e.run.empty() ? "null" : JsonEscape(e.run)) << ",\"detail\":" << JsonEscape(e.detail)
                << "}" << std::endl;
    } else {
      std::cout << engine::FormatRfc3339(e.at) << " " << e.kind << (e.schedule.empty() ? "" : " " + e.schedule)
                << (e.run.empty() ? "" : " " + e.run) << ": " << e.detail << std::endl;
    }
  };
  const std::string status_path = engine::DaemonStatusPath(db);
  auto tick = [status_path](const engine::DaemonStats& st, bool stopping) { WriteStatusFile(status_path, st, stopping); };
  if (o.max_in_flight < 1) {
    std::cerr << "tenure daemon: --max-in-flight must be at least 1\n";
    return ExitCode::kUsage;
  }
  auto console = SetUpConsole(**host, db, o.http);
  if (!console) return Fail(console.error());
  auto r = (*host)->RunDaemon(options, o.max_in_flight, std::chrono::duration_cast<std::chrono::milliseconds>(*grace),
                              log, tick,
                              [] { NotifySystemd("READY=1\nSTATUS=firing schedules and running runs"); });
  NotifySystemd("STOPPING=1");
  if (!r) return Fail(r.error());
  return ExitCode::kOk;
}

void AddDbOption(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db,
                  "State database (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db, else "
                  "~/.local/state/tenure/tenure.db)");
}

}  // namespace

void RegisterScheduleCommands(CLI::App& app, ExitCode* exit_code) {
  CLI::App* sched = app.add_subcommand("schedule", "Runs at an instant or on a cron rule, fired by `tenure daemon`");
  sched->require_subcommand(1);

  auto add = std::make_shared<AddOptions>();
  CLI::App* a = sched->add_subcommand("add", "Schedule a playbook: once (--at) or recurring (--cron)");
  a->add_option("file", add->file, "Playbook file")->required();
  a->add_option("--at", add->at, "Local date and time, YYYY-MM-DDTHH:MM, in --tz");
  a->add_option("--cron", add->cron, "Five-field cron rule: minute hour day-of-month month day-of-week");
  a->add_option("--tz", add->tz, "IANA time zone of --at/--cron, e.g. Europe/Berlin");
  a->add_option("--input,-i", add->inputs, "YAML/JSON file of input values (repeatable)");
  a->add_option("--set,-s", add->sets, "One input value: name=value (repeatable)");
  a->add_option("--key", add->key, "A key per person: adding it again replaces the pending schedule (a correction)");
  a->add_option("--catch-up", add->catch_up, "Fires missed while the daemon was down: fire_once (default), skip, fire_all");
  a->add_flag("--json", add->json, "Print the schedule as JSON");
  a->add_option("--inputs", add->batch, "A batch: one schedule per row of a .csv, .jsonl or .yaml (HR export)");
  a->add_option("--key-column", add->key_column,
                "With --inputs: the column that keys each row (a changed row moves its pending schedule)");
  AddDbOption(a, &add->db);
  a->footer(
      "Examples:\n"
      "  tenure schedule add offboarding.yaml --at 2026-12-18T16:00 --tz Europe/Berlin --input leaver.yaml --key hr-4711\n"
      "  tenure schedule add access-review.yaml --cron \"0 6 * * MON-FRI\" --tz America/New_York\n"
      "A local time skipped by a daylight-saving change fires when the gap ends; a repeated one fires once,\n"
      "at its first occurrence. Exit codes: 0 added or replaced, 2 invalid playbook, inputs or instant, or\n"
      "the key's schedule already started its run.");
  a->callback([add, exit_code] {
    if (add->batch.empty()) {
      *exit_code = Add(*add);
      return;
    }
    if (!add->inputs.empty() || !add->key.empty()) {
      std::cerr << "tenure schedule add: --inputs (a batch) does not combine with --input or --key; use --set for "
                   "values common to every row and --key-column for keys\n";
      *exit_code = ExitCode::kUsage;
      return;
    }
    BatchOptions b = MakeBatchOptions(add->file, add->batch, add->key_column, add->sets, add->db, add->json);
    b.at = add->at;
    b.cron = add->cron;
    b.tz = add->tz;
    b.catch_up = add->catch_up;
    *exit_code = ScheduleBatch(b);
  });

  auto list = std::make_shared<ListOptions>();
  CLI::App* l = sched->add_subcommand("list", "Schedules with their next fire in UTC and in their zone");
  l->add_flag("--all", list->all, "Include removed schedules");
  l->add_flag("--json", list->json, "JSON");
  AddDbOption(l, &list->db);
  l->callback([list, exit_code] { *exit_code = ListCommand(*list); });

  auto one = std::make_shared<OneOptions>();
  CLI::App* sh = sched->add_subcommand("show", "A schedule and its audit log");
  sh->add_option("schedule", one->id, "Schedule id or key")->required();
  sh->add_flag("--json", one->json, "JSON");
  AddDbOption(sh, &one->db);
  sh->callback([one, exit_code] { *exit_code = Show(*one); });

  struct Verb {
    const char* name;
    const char* help;
    std::vector<ScheduleStatus> from;
    ScheduleStatus to;
    const char* kind;
    const char* past;
  };
  static const Verb kVerbs[] = {
      {"cancel", "Cancel a pending or paused schedule (e.g. a reversed termination)",
       {ScheduleStatus::kPending, ScheduleStatus::kPaused}, ScheduleStatus::kCancelled, "schedule_cancelled", "cancelled"},
      {"pause", "Pause a pending schedule (it does not fire until resumed)", {ScheduleStatus::kPending},
       ScheduleStatus::kPaused, "schedule_paused", "paused"},
      {"resume", "Resume a paused schedule (a missed instant follows its catch-up policy)", {ScheduleStatus::kPaused},
       ScheduleStatus::kPending, "schedule_resumed", "resumed"},
      {"remove", "Remove a schedule from the lists (its audit log stays)",
       {ScheduleStatus::kPending, ScheduleStatus::kPaused, ScheduleStatus::kCancelled, ScheduleStatus::kFired},
       ScheduleStatus::kRemoved, "schedule_removed", "removed"},
  };
  for (const Verb& v : kVerbs) {
    auto opts = std::make_shared<OneOptions>();
    CLI::App* c = sched->add_subcommand(v.name, v.help);
    c->add_option("schedule", opts->id, "Schedule id or key")->required();
    c->add_option("--note", opts->note, "Why (kept in the audit log)");
    AddDbOption(c, &opts->db);
    c->footer("Exit codes: 0 done, 2 unknown schedule or not in a state that allows it.");
    c->callback([opts, exit_code, &v] { *exit_code = Change(*opts, v.from, v.to, v.kind, v.past); });
  }

  auto daemon = std::make_shared<DaemonOptions>();
  CLI::App* d = app.add_subcommand("daemon", "Fire schedules, wake timers and continue runs, until stopped");
  d->add_option("--log-format", daemon->log_format, "text (default) or json: one line per event on stdout");
  d->add_option("--poll", daemon->poll, "How often to look for decisions and new work (default 1s)");
  d->add_option("--grace", daemon->grace, "On SIGTERM, how long calls in flight may finish (default 30s)");
  d->add_option("--max-in-flight", daemon->max_in_flight,
                "Calls in flight across all runs (default 256; each connection's rate and max_in_flight apply too)");
  AddDbOption(d, &daemon->db);
  AddHttpFlags(d, &daemon->http);
  d->footer(
      "One daemon per database (a second one refuses to start). SIGTERM/SIGINT: stop claiming, let calls in\n"
      "flight finish within --grace, leave everything resumable; SIGHUP: look for work now.\n"
      "Exit codes: 0 stopped cleanly, 2 another daemon holds the database or bad option, 70 database failure.");
  auto st = std::make_shared<DaemonOptions>();
  CLI::App* ds = d->add_subcommand("status", "Whether a daemon runs on the database, what it holds, what is due next");
  ds->add_flag("--json", st->json, "JSON");
  AddDbOption(ds, &st->db);
  ds->footer(
      "Exit codes: 0 running and healthy, 1 running with a stale heartbeat, 3 not running, 2 no database at the path.");
  d->require_subcommand(0, 1);
  // `tenure daemon status` runs the status query only; `tenure daemon` runs the daemon.
  d->callback([daemon, st, ds, exit_code] {
    if (ds->parsed()) {
      if (st->db.empty()) st->db = daemon->db;
      *exit_code = DaemonStatus(*st);
      return;
    }
    *exit_code = Daemon(*daemon);
  });
}

}  // namespace tenure::cli
