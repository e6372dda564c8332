#include "engine/guards.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace tenure::engine {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;

bool UsesConnection(const workflows::Playbook& pb, const std::string& connection) {
  for (const workflows::TaskSpec& t : pb.tasks) {
    if (t.call.connection == connection) return true;
  }
  return false;
}

// What one limit allows against what would be reached, as an error.
Error Exceeded(const std::string& what, const workflows::LimitsSpec& l, int limit, std::int64_t past,
               std::int64_t adding, const GuardRequest& r, const char* unit) {
  // "1 run", "2 runs"; "1 destructive action".
  const auto count = [](std::int64_t n, std::string_view plural) {
    return std::to_string(n) + " " + std::string(n == 1 ? plural.substr(0, plural.size() - 1) : plural);
  };
  std::string msg = what + " allows " + count(limit, unit) + " per hour (" + l.where.ToString() +
                    "); " + std::to_string(past) + " in the last hour and " + std::to_string(adding) + " more from " +
                    r.source + " would make " + std::to_string(past + adding);
  if (!r.remedy.empty()) {
    msg += "; " + r.remedy;
  } else if (r.allow_mass > 0) {
    msg += ": nothing was started; --allow-mass " + std::to_string(r.allow_mass) + " is less than the " +
           count(r.new_runs, "runs") + " " + r.source + " would start";
  } else {
    msg += ": nothing was started. If this many is intended, run it again with --allow-mass " +
           std::to_string(r.new_runs);
  }
  return Error::FailedPrecondition(std::move(msg));
}

}  // namespace

bool IsDestructive(const workflows::ActionSpec& action) {
  if (action.read_only) return false;
  static constexpr std::array<std::string_view, 11> kVerbs = {"deactivate", "delete", "remove", "suspend",
                                                              "disable", "revoke", "archive", "lock",
                                                              "wipe", "block", "unassign"};
  for (std::string_view v : kVerbs) {
    if (action.name.starts_with(v)) return true;
  }
  return false;
}

int DestructivePerRun(const workflows::Playbook& pb, const workflows::ConnectorCatalog& catalog,
                      const std::string& connection) {
  int n = 0;
  for (const workflows::TaskSpec& t : pb.tasks) {
    if (!connection.empty() && t.call.connection != connection) continue;
    const workflows::ConnectionSpec* c = pb.FindConnection(t.call.connection);
    const workflows::ConnectorSpec* spec = c != nullptr ? catalog.Find(c->connector) : nullptr;
    const workflows::ActionSpec* a = spec != nullptr ? spec->FindAction(t.call.action) : nullptr;
    if (a == nullptr || !IsDestructive(*a)) continue;
    const bool literal_list = t.for_each && t.for_each->IsSequence();
    n += literal_list ? std::max<int>(1, static_cast<int>(t.for_each->items.size())) : 1;
  }
  return n;
}

Result<void> CheckGuards(StateStore& store, const workflows::Playbook& pb, const workflows::ConnectorCatalog& catalog,
                         const GuardRequest& r) {
  if (r.new_runs <= 0) return {};  // starts nothing: nothing to guard
  bool any = pb.limits.any();
  for (const workflows::ConnectionSpec& c : pb.connections) any = any || c.limits.any();
  if (!any) return {};
  RunFilter f;
  f.playbook = pb.name;
  f.since_ms = r.now_ms - kHourMs;
  auto recent = store.ListRuns(f);
  if (!recent) return recent.error();
  const auto past_runs = static_cast<std::int64_t>(recent->size());
  const bool allowed = r.allow_mass >= r.new_runs;
  auto check = [&](const std::string& what, const workflows::LimitsSpec& l,
                   const std::string& connection) -> Result<void> {
    if (l.max_runs_per_hour > 0 && past_runs + r.new_runs > l.max_runs_per_hour && !allowed) {
      return Exceeded(what, l, l.max_runs_per_hour, past_runs, r.new_runs, r, "runs");
    }
    if (l.max_destructive_per_hour > 0) {
      const std::int64_t per_run = DestructivePerRun(pb, catalog, connection);
      if (per_run > 0 && (past_runs + r.new_runs) * per_run > l.max_destructive_per_hour && !allowed) {
        return Exceeded(what, l, l.max_destructive_per_hour, past_runs * per_run, r.new_runs * per_run, r,
                        "destructive actions");
      }
    }
    return {};
  };
  if (auto c = check("playbook " + pb.name, pb.limits, ""); !c) return c;
  for (const workflows::ConnectionSpec& conn : pb.connections) {
    if (!conn.limits.any() || !UsesConnection(pb, conn.name)) continue;
    if (auto c = check("connection " + conn.name, conn.limits, conn.name); !c) return c;
  }
  return {};
}

std::string FireGuard::Admit(const ScheduleRecord& s) {
  auto [it, first] = by_playbook_.try_emplace(s.playbook);
  Entry& e = it->second;
  if (first) {
    auto full = store_.GetSchedule(s.id);  // the due list carries no snapshot
    if (full) {
      auto loaded = cache_.Get(full->sources, catalog_);
      bool any = loaded && (*loaded)->playbook.limits.any();
      if (loaded) {
        for (const auto& c : (*loaded)->playbook.connections) any = any || c.limits.any();
      }
      if (any) e.loaded = *loaded;
    }
  }
  if (!e.loaded) return "";  // no limits (or a snapshot the run itself will report)
  GuardRequest g;
  g.new_runs = e.admitted + 1;
  g.now_ms = now_ms_;
  g.source = "the schedule fires due now";
  g.remedy = "schedule " + s.id + " is paused: resume it with tenure schedule resume " + s.id;
  if (auto ok = CheckGuards(store_, e.loaded->playbook, catalog_, g); !ok) return ok.error().message;
  ++e.admitted;
  return "";
}

}  // namespace tenure::engine
