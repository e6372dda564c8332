#include "cli/batch.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <cstdio>
#include <iomanip>
#include <iostream>

#include "cli/engine_host.h"
#include "cli/load.h"
#include "cli/progress.h"
#include "connectors/catalog.h"
#include "engine/arg_checks.h"
#include "engine/cron.h"
#include "engine/guards.h"
#include "engine/run_control.h"
#include "engine/scheduler.h"
#include "workflows/batch.h"
#include "workflows/yaml_tree.h"

namespace tenure::cli {
namespace {

using engine::RunStatus;
using workflows::BatchRow;
using workflows::Diagnostics;
using workflows::SourceLocation;

struct Row {
  BatchRow source;
  Map inputs;
  std::string at;  // schedules: this row's instant and zone
  std::string tz;
};

struct Prepared {
  LoadedPlaybook lp;
  std::vector<Row> rows;
};

// Loads the playbook, reads and checks every row; prints every problem and returns nullopt when
// there is any (nothing starts).
std::optional<Prepared> Prepare(const BatchOptions& o, bool schedules) {
  workflows::RealFileReader files;
  Prepared p{LoadAndValidate(files, connectors::BuiltinCatalog(), o.playbook), {}};
  Diagnostics diags = p.lp.diags;
  if (!diags.HasErrors()) {
    auto text = files.Read(o.inputs);
    if (!text) {
      diags.Error(SourceLocation{o.inputs, 0, 0}, "", "cannot read the batch: " + text.error().message);
    } else {
      // --set values apply to every row; a row's own cell wins.
      const auto common = ReadGivenInputs(files, p.lp.pb, {}, o.sets, diags);
      Diagnostics rows_diags;
      auto rows = workflows::ParseBatch(o.inputs, *text, p.lp.pb, o.key_column, rows_diags);
      for (const BatchRow& r : rows) {
        std::vector<workflows::GivenInput> given = common;
        for (const auto& v : r.values) {
          std::erase_if(given, [&](const workflows::GivenInput& g) { return g.name == v.name; });
          given.push_back(v);
        }
        Row row{r, workflows::ResolveInputs(p.lp.pb.inputs, given, r.where, rows_diags, engine::CheckTimeZoneName), o.at, o.tz};
        if (schedules && o.at.empty() && o.cron.empty() && p.lp.pb.start_at) {
          auto start = workflows::RenderStartAt(p.lp.pb, row.inputs);
          if (!start) {
            rows_diags.Error(r.where, "", "row " + std::to_string(r.number) + ": start_at: " + start.error().message);
          } else {
            row.at = start->at;
            if (row.tz.empty()) row.tz = start->time_zone;
          }
        }
        if (schedules && !row.tz.empty()) {
          if (auto z = engine::CheckTimeZone(row.tz); !z) {
            rows_diags.Error(r.where, "", "row " + std::to_string(r.number) + ": " + z.error().message);
          } else if (!row.at.empty()) {
            if (auto t = engine::LocalInstant(row.at, row.tz); !t) {
              rows_diags.Error(r.where, "", "row " + std::to_string(r.number) + ": " + t.error().message);
            }
          }
        }
        p.rows.push_back(std::move(row));
      }
      for (workflows::Diagnostic d : rows_diags.items()) {
        workflows::AttachExcerpt(d, *text);
        diags.Add(std::move(d));
      }
      if (rows.empty() && !rows_diags.HasErrors()) {
        diags.Error(SourceLocation{o.inputs, 0, 0}, "", "the batch has no rows");
      }
    }
  }
  if (schedules) {
    const SourceLocation cmdline{o.playbook, 0, 0};
    if (!o.at.empty() && !o.cron.empty()) diags.Error(cmdline, "--at/--cron", "give one of --at and --cron, not both");
    if (o.at.empty() && o.cron.empty() && !p.lp.pb.start_at && !p.lp.diags.HasErrors()) {
      diags.Error(cmdline, "--at/--cron",
                  "give --at or --cron, or declare start_at and time_zone in the playbook (one instant per row)");
    }
    if ((!o.at.empty() || !o.cron.empty()) && o.tz.empty()) diags.Error(cmdline, "--tz", "--tz is required with --at/--cron");
    if (!o.cron.empty()) {
      if (auto c = engine::ParseCron(o.cron); !c) diags.Error(cmdline, "--cron", c.error().message);
    }
    if (!engine::ParseCatchUp(o.catch_up)) {
      diags.Error(cmdline, "--catch-up", "'" + o.catch_up + "' is not one of fire_once, skip, fire_all");
    }
  }
  if (o.key_column.empty() && !diags.HasErrors()) {
    std::cerr << "warning: no --key-column: submitting this batch again starts every row again\n";
  }
  if (diags.HasErrors() || !p.lp.graph) {
    PrintDiagnostics(diags, std::cerr);
    return std::nullopt;
  }
  return p;
}

// Worse rows decide the batch's exit code: failed > cancelled > waiting > succeeded.
int Severity(ExitCode c) {
  switch (c) {
    case ExitCode::kOk: return 0;
    case ExitCode::kWaiting: return 1;
    case ExitCode::kCancelled: return 2;
    case ExitCode::kFailed: return 3;
    default: return 4;
  }
}

std::string Rate(double per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f/s", per_second);
  return buf;
}

}  // namespace

bool KeyTaken(engine::StateStore& store, const std::string& playbook, const std::string& key) {
  auto runs = store.ListRuns({std::nullopt, playbook, 0});
  if (!runs) return false;
  return std::any_of(runs->begin(), runs->end(), [&](const engine::RunRecord& r) { return r.trigger_key == key; });
}

ExitCode RunBatch(const BatchOptions& o) {
  auto prepared = Prepare(o, false);
  if (!prepared) return ExitCode::kUsage;
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  for (const auto& conn : prepared->lp.pb.connections) {
    if (conn.builtin) continue;
    auto c = (*host)->factory().Create(conn, (*host)->redactor());
    if (!c) {
      std::cerr << "tenure: " << c.error().message << "\n";
      return ExitCode::kUsage;
    }
  }
  // Blast-radius guards (docs/guards.md), before anything is created: the rows whose key has no
  // run yet are the runs this batch would start.
  {
    std::set<std::string> keys;
    if (auto runs = (*host)->store().ListRuns({std::nullopt, prepared->lp.pb.name, 0})) {
      for (const engine::RunRecord& r : *runs) {
        if (!r.trigger_key.empty()) keys.insert(r.trigger_key);
      }
    }
    int fresh = 0;
    for (const Row& r : prepared->rows) fresh += r.source.key.empty() || keys.insert(r.source.key).second ? 1 : 0;
    engine::GuardRequest g;
    g.new_runs = fresh;
    g.allow_mass = o.allow_mass;
    g.now_ms = engine::ToUnixMillis((*host)->clock().Now());
    g.source = "this batch (" + o.inputs + ")";
    if (auto ok = engine::CheckGuards((*host)->store(), prepared->lp.pb, connectors::BuiltinCatalog(), g); !ok) {
      std::cerr << "tenure: " << ok.error().message << "\n";
      return ExitCodeFor(ok.error());
    }
  }
  // Create every run first (a row whose key has a run already starts nothing), then execute.
  struct Entry {
    int row;
    std::string key;
    std::string run;
    bool created;
    std::string status;
    std::string error;
  };
  std::vector<Entry> entries;
  std::vector<std::string> to_execute;
  for (const Row& r : prepared->rows) {
    engine::NewRun run;
    run.playbook = &prepared->lp.pb;
    run.inputs = (*host)->redactor().RedactValue(Value(r.inputs)).AsMap();
    run.trigger = "batch:" + o.inputs + ":" + std::to_string(r.source.number) + ":" + engine::CurrentUser();
    run.trigger_key = r.source.key;
    auto created = engine::CreateRun((*host)->store(), run, (*host)->clock().Now());
    if (!created) {
      std::cerr << "tenure: row " << r.source.number << ": " << created.error().message << "\n";
      return ExitCodeFor(created.error());
    }
    Entry e{r.source.number, r.source.key, created->id, created->created, "", ""};
    if (!created->created) {
      auto existing = (*host)->store().GetRun(created->id);
      e.status = existing ? engine::RunStatusName(existing->status) : "?";
    } else {
      to_execute.push_back(created->id);
    }
    entries.push_back(std::move(e));
  }
  const std::size_t existing = entries.size() - to_execute.size();
  std::cerr << "batch " << o.inputs << ": " << entries.size() << " rows, " << to_execute.size() << " runs to start"
            << (existing > 0 ? ", " + std::to_string(existing) + " already started earlier (same key)" : "") << "\n";
  const bool tty = ::isatty(2) != 0 && !o.json;
  std::map<std::string, int> counts;
  std::size_t done = 0;
  const auto start = std::chrono::steady_clock::now();
  auto line = [&](bool final) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const std::size_t running = to_execute.size() - done;
    std::string eta = rate > 0 && running > 0 ? ", ETA " + Elapsed(static_cast<std::int64_t>(running / rate * 1000)) : "";
    std::cerr << (tty ? "\r\033[K" : "") << done << "/" << to_execute.size() << " done: " << counts["succeeded"]
              << " succeeded, " << counts["waiting"] << " waiting, " << counts["failed"] << " failed"
              << (counts["cancelled"] > 0 ? ", " + std::to_string(counts["cancelled"]) + " cancelled" : "") << "; "
              << running << " running; " << Rate(rate) << eta << (final || !tty ? "\n" : "") << std::flush;
  };
  bool interrupted = false;
  auto results = (*host)->ExecuteAll(
      to_execute,
      [&](const std::string& id, const Result<RunStatus>& r) {
        ++done;
        ++counts[r ? engine::RunStatusName(*r) : "failed"];
        if (o.json) {
          std::cout << "{\"run\":\"" << id << "\",\"status\":\"" << (r ? engine::RunStatusName(*r) : "error") << "\"}\n";
        } else if (!tty) {
          line(false);
        }
      },
      [&] {
        if (tty) line(false);
      },
      &interrupted);
  if (tty || o.json) line(true);
  if (interrupted) {
    std::cerr << "interrupted: the runs stay resumable: tenure resume --all\n";
    return ExitCode::kInterrupted;
  }
  ExitCode worst = ExitCode::kOk;
  for (Entry& e : entries) {
    if (e.created) {
      auto it = results.find(e.run);
      if (it != results.end() && it->second) {
        e.status = engine::RunStatusName(*it->second);
      } else {
        e.status = "error";
        if (it != results.end()) e.error = it->second.error().message;
      }
    }
    auto run = (*host)->store().GetRun(e.run);
    if (run && e.error.empty()) e.error = run->error;
    const ExitCode c = e.status == "error" ? ExitCode::kInternal
                                            : ExitCodeFor(engine::ParseRunStatus(e.status).value_or(RunStatus::kFailed));
    if (Severity(c) > Severity(worst)) worst = c;
  }
  if (!o.json) {
    std::cout << std::left << std::setw(6) << "ROW" << std::setw(18) << "KEY" << std::setw(26) << "RUN" << std::setw(11)
              << "STATUS" << "NOTE\n";
    for (const Entry& e : entries) {
      std::cout << std::setw(6) << e.row << std::setw(18) << (e.key.empty() ? "-" : e.key) << std::setw(26) << e.run
                << std::setw(11) << e.status << (e.created ? "" : "(started earlier) ") << e.error << "\n";
    }
  }
  return worst;
}

ExitCode ScheduleBatch(const BatchOptions& o) {
  auto prepared = Prepare(o, true);
  if (!prepared) return ExitCode::kUsage;
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  const engine::SystemTime now = (*host)->clock().Now();
  int added = 0, replaced = 0, unchanged = 0, refused = 0;
  std::cout << std::left << std::setw(6) << "ROW" << std::setw(18) << "KEY" << std::setw(24) << "SCHEDULE"
            << std::setw(10) << "CHANGE" << "NEXT FIRE\n";
  for (const Row& r : prepared->rows) {
    engine::NewSchedule s;
    s.playbook = &prepared->lp.pb;
    s.inputs = (*host)->redactor().RedactValue(Value(r.inputs)).AsMap();
    s.cron = o.cron;
    s.at = r.at;
    s.time_zone = r.tz;
    s.key = r.source.key;
    s.catch_up = *engine::ParseCatchUp(o.catch_up);
    s.created_by = "batch:" + o.inputs + ":" + std::to_string(r.source.number) + ":" + engine::CurrentUser();
    // An unchanged row changes nothing (no new audit event): same instant, zone and inputs.
    if (!s.key.empty()) {
      auto current = (*host)->store().GetSchedule(s.key);
      if (current && current->status == engine::ScheduleStatus::kPending && current->cron == s.cron &&
          current->time_zone == s.time_zone && current->inputs.ToJson() == Value(s.inputs).ToJson()) {
        auto first = engine::FirstFire(s.cron, s.at, s.time_zone, now);
        if (first && s.cron.empty() && *first == current->next_ms) {
          ++unchanged;
          std::cout << std::setw(6) << r.source.number << std::setw(18) << s.key << std::setw(24) << current->id
                    << std::setw(10) << "unchanged"
                    << engine::FormatLocal(engine::FromUnixMillis(current->next_ms), current->time_zone) << "\n";
          continue;
        }
      }
    }
    auto a = engine::AddSchedule((*host)->store(), s, now);
    if (!a) {
      ++refused;
      std::cout << std::setw(6) << r.source.number << std::setw(18) << (s.key.empty() ? "-" : s.key) << std::setw(24)
                << "-" << std::setw(10) << "refused" << a.error().message << "\n";
      continue;
    }
    (a->replaced ? replaced : added)++;
    std::cout << std::setw(6) << r.source.number << std::setw(18) << (s.key.empty() ? "-" : s.key) << std::setw(24)
              << a->schedule.id << std::setw(10) << (a->replaced ? "moved" : "added")
              << engine::FormatLocal(engine::FromUnixMillis(a->schedule.next_ms), a->schedule.time_zone) << "\n";
  }
  std::cerr << "batch " << o.inputs << ": " << added << " added, " << replaced << " moved, " << unchanged
            << " unchanged, " << refused << " refused\n";
  return refused > 0 ? ExitCode::kUsage : ExitCode::kOk;
}

}  // namespace tenure::cli
