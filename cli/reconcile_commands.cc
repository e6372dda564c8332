// reconcile: drift between an HR export and the accounts of each connection (docs/proof.md):
// leavers with an active account, accounts that match nobody, people without an account. With
// --fix, the given playbook is started once per leaver, keyed by the person's key.
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <cctype>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/engine_host.h"
#include "cli/load.h"
#include "connectors/catalog.h"
#include "engine/drift.h"
#include "engine/guards.h"
#include "engine/run_control.h"
#include "workflows/batch.h"

namespace tenure::cli {
namespace {

using boost::asio::awaitable;

struct ReconcileOptions {
  std::string people;
  std::string key_column;
  std::string status_column;
  std::vector<std::string> active_values = {"active"};
  std::string playbook;
  std::string fix;
  std::string grants;  // --grants FILE: what each role may hold (CSV: ROLE_COLUMN,group)
  int allow_mass = 0;  // --allow-mass N: --fix past the blast-radius guards (docs/guards.md)
  bool yes = false;
  bool json = false;
  std::string format = "table";
  std::string db;
  std::vector<std::string> connections;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The HR export: the people, and each one's row (column -> cell) for --fix.
struct HrExport {
  std::vector<engine::HrPerson> people;
  std::vector<std::map<std::string, workflows::CsvCell>> rows;  // parallel to people
  workflows::SourceLocation header;
};

// The grants file: a CSV whose header is ROLE_COLUMN,group (ROLE_COLUMN names the HR export's
// column holding each person's role, e.g. department) and whose rows each grant one group to one
// role ("*": to everyone). Problems go to `diags` at their row and column.
engine::Grants ReadGrants(const std::string& path, const std::string& text, workflows::Diagnostics& diags) {
  engine::Grants out;
  auto records = workflows::ReadCsv(path, text, diags);
  if (diags.HasErrors()) return out;
  if (records.empty()) {
    diags.Error(workflows::SourceLocation{path, 1, 1}, "",
                "empty grants file: expected a header row ROLE_COLUMN,group (e.g. department,group)");
    return out;
  }
  const auto& header = records.front();
  if (header.size() != 2 || header[0].text.empty() || header[1].text != "group") {
    diags.Error(header.front().where, "",
                "the grants file's header must be two columns, the HR column naming each person's role and "
                "'group' (e.g. department,group)");
    return out;
  }
  out.column = header[0].text;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& cells = records[r];
    const std::string row = std::to_string(r);
    if (cells.size() != 2) {
      diags.Error(cells.front().where, "", "row " + row + " has " + std::to_string(cells.size()) +
                                               " cells; a grant is a role and a group");
      continue;
    }
    if (cells[0].text.empty()) diags.Error(cells[0].where, "", "row " + row + " has no role ('*' for everyone)");
    if (cells[1].text.empty()) diags.Error(cells[1].where, "", "row " + row + " has no group");
    if (cells[0].text.empty() || cells[1].text.empty()) continue;
    out.groups[Lower(cells[0].text)].insert(Lower(cells[1].text));
  }
  return out;
}

// Reads the export; every problem (malformed CSV, a missing column, a row without a key, a key
// twice) goes to `diags` at its row and column.
HrExport ReadPeople(const std::string& path, const std::string& text, const ReconcileOptions& o,
                    const std::string& role_column, workflows::Diagnostics& diags) {
  HrExport out;
  auto records = workflows::ReadCsv(path, text, diags);
  if (diags.HasErrors()) return out;
  if (records.empty()) {
    diags.Error(workflows::SourceLocation{path, 1, 1}, "", "empty export: expected a header row naming the columns");
    return out;
  }
  const std::vector<workflows::CsvCell>& header = records.front();
  out.header = header.front().where;
  std::string names;
  int key_at = -1;
  int status_at = -1;
  int role_at = -1;
  for (std::size_t c = 0; c < header.size(); ++c) {
    names += (c ? ", " : "") + header[c].text;
    if (header[c].text == o.key_column) key_at = static_cast<int>(c);
    if (!o.status_column.empty() && header[c].text == o.status_column) status_at = static_cast<int>(c);
    if (!role_column.empty() && header[c].text == role_column) role_at = static_cast<int>(c);
  }
  if (!role_column.empty() && role_at < 0) {
    diags.Error(header.front().where, "",
                "no column '" + role_column + "' (named by the grants file) in the header (columns: " + names + ")");
  }
  if (key_at < 0) {
    diags.Error(header.front().where, "", "no key column '" + o.key_column + "' in the header (columns: " + names + ")");
  }
  if (!o.status_column.empty() && status_at < 0) {
    diags.Error(header.front().where, "",
                "no status column '" + o.status_column + "' in the header (columns: " + names + ")");
  }
  if (diags.HasErrors()) return out;
  std::set<std::string> actives;
  for (const std::string& v : o.active_values) actives.insert(Lower(v));
  std::map<std::string, int> seen;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& cells = records[r];
    const int number = static_cast<int>(r);
    if (cells.size() > header.size()) {
      diags.Error(cells[header.size()].where, "",
                  "row " + std::to_string(number) + " has " + std::to_string(cells.size()) + " cells; the header has " +
                      std::to_string(header.size()));
      continue;
    }
    engine::HrPerson p;
    p.row = number;
    const auto at = static_cast<std::size_t>(key_at);
    p.key = at < cells.size() ? cells[at].text : "";
    if (p.key.empty()) {
      diags.Error(at < cells.size() ? cells[at].where : cells.front().where, "",
                  "row " + std::to_string(number) + " has no value in the key column '" + o.key_column + "'");
      continue;
    }
    if (auto [it, fresh] = seen.emplace(Lower(p.key), number); !fresh) {
      diags.Error(cells[at].where, "",
                  "row " + std::to_string(number) + " has the key '" + p.key + "' of row " + std::to_string(it->second));
      continue;
    }
    if (status_at >= 0) {
      const auto s = static_cast<std::size_t>(status_at);
      p.status = s < cells.size() ? cells[s].text : "";
      p.active = actives.count(Lower(p.status)) != 0;
    }
    if (role_at >= 0) {
      const auto ra = static_cast<std::size_t>(role_at);
      p.role = ra < cells.size() ? cells[ra].text : "";
    }
    std::map<std::string, workflows::CsvCell> row;
    for (std::size_t c = 0; c < cells.size(); ++c) row[header[c].text] = cells[c];
    out.people.push_back(std::move(p));
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::string AttrText(const Map& m, std::string_view key) {
  for (const auto& [k, v] : m) {
    if (Lower(k) == Lower(std::string(key)) && v.IsString()) return v.AsString();
  }
  return "";
}

const Value* Attr(const Map& m, std::string_view key) {
  for (const auto& [k, v] : m) {
    if (Lower(k) == Lower(std::string(key))) return &v;
  }
  return nullptr;
}

// A SCIM user resource as an account: active (booleans as SCIM providers spell them), e-mails,
// and the groups it lists (providers without a User `groups` attribute list none).
engine::Account ToAccount(const std::string& connection, const Map& user) {
  engine::Account a;
  a.connection = connection;
  a.id = AttrText(user, "id");
  a.user_name = AttrText(user, "userName");
  a.external_id = AttrText(user, "externalId");
  if (const Value* active = Attr(user, "active")) {
    a.active = active->IsBool() ? active->AsBool() : !(active->IsString() && Lower(active->AsString()) == "false");
  }
  if (const Value* emails = Attr(user, "emails"); emails != nullptr && emails->IsList()) {
    for (const Value& e : emails->AsList()) {
      if (e.IsMap() && !AttrText(e.AsMap(), "value").empty()) a.emails.push_back(AttrText(e.AsMap(), "value"));
    }
  }
  if (const Value* groups = Attr(user, "groups"); groups != nullptr && groups->IsList()) {
    for (const Value& g : groups->AsList()) {
      if (!g.IsMap()) continue;
      std::string name = AttrText(g.AsMap(), "display");
      a.groups.push_back(name.empty() ? AttrText(g.AsMap(), "value") : name);
    }
  }
  return a;
}

// One connection's reading: every page of users, each page one call within the connection's
// limits (rate, max_in_flight, a 429's pause), transient failures retried.
struct Reading {
  std::string connection;
  std::unique_ptr<connectors::Connector> connector;
  engine::ConnectionLimits limits;
  std::vector<engine::Account> accounts;
  int pages = 0;
  std::string error;  // "" = read completely
};

awaitable<void> ReadAccounts(EngineHost& host, Reading& reading, int& left, engine::WaitQueue& done) {
  constexpr int kTries = 5;
  std::int64_t start = 1;
  int failures = 0;
  for (;;) {
    engine::Permit permit = co_await host.limiter().Acquire(reading.connection, reading.limits);
    Map args;
    args.Set("start_index", start);
    const connectors::Action action{"list_users", std::move(args), nullptr};
    const connectors::Context ctx{"", std::chrono::steady_clock::now() + std::chrono::minutes(2), "", "reconcile"};
    connectors::Outcome outcome = co_await reading.connector->Invoke(action, ctx);
    permit.Release();
    std::string why;
    std::chrono::milliseconds after{0};
    if (auto* ok = std::get_if<connectors::Succeeded>(&outcome)) {
      ++reading.pages;
      failures = 0;
      const Map& page = ok->result.AsMap();
      if (const Value* users = page.Find("resources"); users != nullptr && users->IsList()) {
        for (const Value& u : users->AsList()) {
          if (u.IsMap()) reading.accounts.push_back(ToAccount(reading.connection, u.AsMap()));
        }
      }
      const Value* next = page.Find("next");
      if (next == nullptr || !next->IsInt() || next->AsInt() <= start) break;
      start = next->AsInt();
      continue;
    }
    if (auto* failed = std::get_if<connectors::Failed>(&outcome)) {
      reading.error = failed->failure.message;
      break;
    }
    if (auto* later = std::get_if<connectors::RetryLater>(&outcome)) {
      why = later->failure.message;
      after = later->after;
      if (after.count() > 0) host.limiter().Pause(reading.connection, host.clock().SteadyNow() + after);
    } else {
      why = std::get<connectors::Unknown>(outcome).why;  // a read: safe to send again
    }
    if (++failures >= kTries) {
      reading.error = "gave up after " + std::to_string(kTries) + " attempts: " + why;
      break;
    }
    if (after.count() == 0) after = std::chrono::milliseconds(250 << failures);
    co_await host.clock().SleepFor(after);
  }
  --left;
  done.NotifyOne();
}

awaitable<void> ReadAll(EngineHost& host, std::vector<Reading>& readings) {
  int left = static_cast<int>(readings.size());
  engine::WaitQueue done(host.executor());
  for (Reading& r : readings) {
    boost::asio::co_spawn(host.executor(), ReadAccounts(host, r, left, done), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  while (left > 0) co_await done.Wait();
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// The rows of one kind of finding as cells, with their header.
struct Section {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

std::vector<Section> Sections(const std::vector<engine::Finding>& findings, bool with_grants) {
  std::vector<Section> out = {
      {"Leavers: active accounts of people not active in HR", {"connection", "person", "HR status", "HR row", "account", "userName", "groups"}, {}},
      {"Orphans: accounts that match nobody in HR", {"connection", "account", "userName", "active", "groups"}, {}},
      {"Missing: people active in HR without an account", {"connection", "person", "HR status", "HR row"}, {}},
      {"Excess groups: memberships outside what the person's role grants",
       {"connection", "person", "role", "HR row", "account", "userName", "groups not granted"}, {}},
  };
  for (const engine::Finding& f : findings) {
    const std::string groups = Join(f.groups, ", ");
    switch (f.kind) {
      case engine::DriftKind::kLeaver:
        out[0].rows.push_back({f.connection, f.person, f.status, std::to_string(f.row), f.account_id, f.user_name, groups});
        break;
      case engine::DriftKind::kOrphan:
        out[1].rows.push_back({f.connection, f.account_id, f.user_name, f.active ? "yes" : "no", groups});
        break;
      case engine::DriftKind::kMissing:
        out[2].rows.push_back({f.connection, f.person, f.status, std::to_string(f.row)});
        break;
      case engine::DriftKind::kExcess:
        out[3].rows.push_back({f.connection, f.person, f.role, std::to_string(f.row), f.account_id, f.user_name, groups});
        break;
    }
  }
  if (!with_grants) out.pop_back();
  return out;
}

void PrintTable(const Section& s, std::ostream& out) {
  out << s.title << " (" << s.rows.size() << ")\n";
  if (s.rows.empty()) return;
  std::vector<std::size_t> width(s.header.size());
  for (std::size_t c = 0; c < s.header.size(); ++c) width[c] = s.header[c].size();
  for (const auto& r : s.rows) {
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells, bool upper) {
    out << " ";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::string text = upper ? cells[c] : cells[c];
      if (upper) {
        for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      out << " " << text << (c + 1 < cells.size() ? std::string(width[c] - text.size() + 1, ' ') : "");
    }
    out << "\n";
  };
  line(s.header, true);
  for (const auto& r : s.rows) line(r, false);
}

std::string Summary(const std::vector<engine::Finding>& findings, bool with_grants) {
  int n[4] = {0, 0, 0, 0};
  for (const engine::Finding& f : findings) ++n[static_cast<int>(f.kind)];
  if (findings.empty()) return "no drift";
  return "drift: " + std::to_string(n[0]) + (n[0] == 1 ? " leaver, " : " leavers, ") + std::to_string(n[1]) +
         (n[1] == 1 ? " orphan, " : " orphans, ") + std::to_string(n[2]) + " missing" +
         (with_grants ? ", " + std::to_string(n[3]) + (n[3] == 1 ? " account" : " accounts") + " with groups not granted"
                      : "");
}

void PrintReport(const ReconcileOptions& o, const std::vector<Reading>& readings, const HrExport& hr,
                 const std::vector<engine::Finding>& findings, std::ostream& out) {
  std::size_t accounts = 0;
  for (const Reading& r : readings) accounts += r.accounts.size();
  std::size_t active = 0;
  for (const engine::HrPerson& p : hr.people) active += p.active ? 1 : 0;
  std::ostringstream intro;
  intro << "reconcile of " << Join(o.connections, ", ") << " against " << o.people << ": " << accounts
        << " accounts read, " << hr.people.size() << " people (" << active << " active in HR)";
  const bool with_grants = !o.grants.empty();
  const auto sections = Sections(findings, with_grants);
  if (o.format == "md") {
    out << "# Access drift\n\n" << intro.str() << ".\n";
    for (const Section& s : sections) {
      out << "\n## " << s.title << " (" << s.rows.size() << ")\n\n";
      if (s.rows.empty()) {
        out << "None.\n";
        continue;
      }
      out << "|";
      for (const auto& h : s.header) out << " " << h << " |";
      out << "\n|";
      for (std::size_t c = 0; c < s.header.size(); ++c) out << "---|";
      out << "\n";
      for (const auto& r : s.rows) {
        out << "|";
        for (const auto& cell : r) out << " " << MdCell(cell) << " |";
        out << "\n";
      }
    }
    out << "\n" << Summary(findings, with_grants) << ".\n";
    return;
  }
  if (o.format == "html") {
    out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Access drift</title></head><body>\n"
        << "<h1>Access drift</h1>\n<p>" << HtmlEscape(intro.str()) << ".</p>\n";
    for (const Section& s : sections) {
      out << "<h2>" << HtmlEscape(s.title) << " (" << s.rows.size() << ")</h2>\n";
      if (s.rows.empty()) {
        out << "<p>None.</p>\n";
        continue;
      }
      out << "<table>\n<tr>";
      for (const auto& h : s.header) out << "<th>" << HtmlEscape(h) << "</th>";
      out << "</tr>\n";
      for (const auto& r : s.rows) {
        out << "<tr>";
        for (const auto& cell : r) out << "<td>" << HtmlEscape(cell) << "</td>";
        out << "</tr>\n";
      }
      out << "</table>\n";
    }
    out << "<p>" << HtmlEscape(Summary(findings, with_grants)) << ".</p>\n</body></html>\n";
    return;
  }
  out << intro.str() << "\n";
  for (const Section& s : sections) PrintTable(s, out);
  out << Summary(findings, with_grants) << "\n";
}

Value ReportJson(const std::vector<Reading>& readings, const HrExport& hr, const std::vector<engine::Finding>& findings,
                 bool with_grants) {
  List conns;
  for (const Reading& r : readings) {
    Map c;
    c.Set("name", r.connection);
    c.Set("accounts", static_cast<std::int64_t>(r.accounts.size()));
    c.Set("pages", r.pages);
    conns.push_back(Value(std::move(c)));
  }
  List kinds[4];
  for (const engine::Finding& f : findings) {
    Map m;
    m.Set("connection", f.connection);
    if (f.kind != engine::DriftKind::kOrphan) {
      m.Set("person", f.person);
      m.Set("hr_status", f.status);
      m.Set("hr_row", f.row);
    }
    if (f.kind != engine::DriftKind::kMissing) {
      m.Set("account", f.account_id);
      m.Set("userName", f.user_name);
      m.Set("active", f.active);
      List groups;
      for (const std::string& g : f.groups) groups.push_back(Value(g));
      m.Set(f.kind == engine::DriftKind::kExcess ? "groups_not_granted" : "groups", std::move(groups));
    }
    if (f.kind == engine::DriftKind::kExcess) m.Set("role", f.role);
    kinds[static_cast<int>(f.kind)].push_back(Value(std::move(m)));
  }
  Map out;
  out.Set("connections", std::move(conns));
  out.Set("people", static_cast<std::int64_t>(hr.people.size()));
  out.Set("leavers", std::move(kinds[0]));
  out.Set("orphans", std::move(kinds[1]));
  out.Set("missing", std::move(kinds[2]));
  if (with_grants) out.Set("excess", std::move(kinds[3]));
  out.Set("clean", findings.empty());
  return Value(std::move(out));
}

// --fix: one run of `fix` per leaver, inputs from the person's HR row (columns named like the
// playbook's inputs), trigger key = the person's key. Everything is checked before anything starts.
ExitCode Fix(EngineHost& host, const ReconcileOptions& o, const LoadedPlaybook& lp, const HrExport& hr,
             const std::vector<engine::Finding>& findings) {
  std::vector<std::size_t> leavers;  // indexes into hr.people, each person once
  std::set<std::string> taken;
  for (const engine::Finding& f : findings) {
    if (f.kind != engine::DriftKind::kLeaver || !taken.insert(Lower(f.person)).second) continue;
    for (std::size_t i = 0; i < hr.people.size(); ++i) {
      if (hr.people[i].key == f.person) leavers.push_back(i);
    }
  }
  std::ostream& say = o.json ? std::cerr : std::cout;
  if (leavers.empty()) {
    say << "fix: no leaver to offboard\n";
    return ExitCode::kOk;
  }
  workflows::Diagnostics diags;
  std::vector<Map> inputs;
  for (std::size_t i : leavers) {
    std::vector<workflows::GivenInput> given;
    for (const workflows::InputSpec& spec : lp.pb.inputs) {
      auto cell = hr.rows[i].find(spec.name);
      if (cell == hr.rows[i].end() || cell->second.text.empty()) continue;
      given.push_back({spec.name, workflows::CoerceInput(spec, cell->second.text), cell->second.where});
    }
    const workflows::SourceLocation where = hr.rows[i].begin()->second.where;
    inputs.push_back(workflows::ResolveInputs(lp.pb.inputs, given, where, diags));
  }
  if (diags.HasErrors()) {
    PrintDiagnostics(diags, std::cerr);
    std::cerr << "tenure: fix: nothing was started\n";
    return ExitCode::kUsage;
  }
  // Blast-radius guards (docs/guards.md), before asking and before anything starts: the runs this
  // fix would start (a leaver whose key has a run already starts nothing and is not counted).
  {
    std::set<std::string> keys;
    auto runs = host.store().ListRuns({std::nullopt, lp.pb.name, 0});
    if (!runs) {
      std::cerr << "tenure: " << runs.error().message << "\n";
      return ExitCodeFor(runs.error());
    }
    for (const engine::RunRecord& r : *runs) {
      if (!r.trigger_key.empty()) keys.insert(r.trigger_key);
    }
    engine::GuardRequest g;
    g.new_runs = 0;
    for (std::size_t i : leavers) g.new_runs += keys.insert(hr.people[i].key).second ? 1 : 0;
    g.allow_mass = o.allow_mass;
    g.now_ms = engine::ToUnixMillis(host.clock().Now());
    g.source = "this reconcile --fix";
    if (auto ok = engine::CheckGuards(host.store(), lp.pb, connectors::BuiltinCatalog(), g); !ok) {
      std::cerr << "tenure: " << ok.error().message << "\n";
      return ExitCodeFor(ok.error());
    }
  }
  if (!o.yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "tenure: --fix starts " << lp.pb.name << " for " << leavers.size()
                << (leavers.size() == 1 ? " person" : " people") << "; confirm with --yes (nothing was started)\n";
      return ExitCode::kUsage;
    }
    std::cout << "start " << lp.pb.name << " for " << leavers.size() << (leavers.size() == 1 ? " person" : " people")
              << "? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "yes") {
      std::cout << "nothing was started\n";
      return ExitCode::kUsage;
    }
  }
  std::vector<std::string> ids;
  int existing = 0;
  for (std::size_t n = 0; n < leavers.size(); ++n) {
    engine::NewRun run;
    run.playbook = &lp.pb;
    run.inputs = host.redactor().RedactValue(Value(inputs[n])).AsMap();
    run.trigger = "reconcile:" + engine::CurrentUser();
    run.trigger_key = hr.people[leavers[n]].key;
    auto created = engine::CreateRun(host.store(), run, host.clock().Now());
    if (!created) {
      std::cerr << "tenure: " << created.error().message << "\n";
      return ExitCodeFor(created.error());
    }
    if (created->created) {
      ids.push_back(created->id);
    } else {
      ++existing;
      say << "fix: " << hr.people[leavers[n]].key << ": run " << created->id << " already exists for this key; not starting another\n";
    }
  }
  say << "fix: starting " << ids.size() << (ids.size() == 1 ? " run" : " runs") << " of " << lp.pb.name << " ("
      << existing << " already started earlier, same key)\n";
  if (ids.empty()) return ExitCode::kOk;
  bool interrupted = false;
  int failed = 0;
  host.ExecuteAll(
      ids,
      [&](const std::string& id, const Result<engine::RunStatus>& r) {
        const bool ok = r && (*r == engine::RunStatus::kSucceeded || *r == engine::RunStatus::kWaiting);
        if (!ok) ++failed;
        say << "fix: run " << id << " " << (r ? engine::RunStatusName(*r) : r.error().message.c_str()) << "\n";
      },
      nullptr, &interrupted);
  if (interrupted) return ExitCode::kInterrupted;
  return failed > 0 ? ExitCode::kFailed : ExitCode::kOk;
}

ExitCode Reconcile(const ReconcileOptions& o) {
  workflows::RealFileReader files;
  workflows::Diagnostics diags;
  const std::string playbook_path = !o.playbook.empty() ? o.playbook : o.fix;
  if (playbook_path.empty()) {
    std::cerr << "tenure: reconcile needs the connections' definitions: --playbook FILE (or --fix FILE)\n";
    return ExitCode::kUsage;
  }
  LoadedPlaybook lp = workflows::LoadAndValidate(files, connectors::BuiltinCatalog(), playbook_path);
  std::optional<LoadedPlaybook> fix;
  if (!o.fix.empty()) fix = o.fix == playbook_path ? lp : workflows::LoadAndValidate(files, connectors::BuiltinCatalog(), o.fix);
  if (!lp.ok() || (fix && !fix->ok())) {
    PrintDiagnostics(!lp.ok() ? lp.diags : fix->diags, std::cerr);
    return ExitCode::kUsage;
  }
  auto text = files.Read(o.people);
  if (!text) {
    std::cerr << "tenure: " << text.error().message << "\n";
    return ExitCode::kUsage;
  }
  std::optional<engine::Grants> grants;
  if (!o.grants.empty()) {
    auto grants_text = files.Read(o.grants);
    if (!grants_text) {
      std::cerr << "tenure: " << grants_text.error().message << "\n";
      return ExitCode::kUsage;
    }
    grants = ReadGrants(o.grants, *grants_text, diags);
  }
  // The export is checked even when the grants file had problems: every problem at once.
  workflows::Diagnostics people_diags;
  HrExport hr = ReadPeople(o.people, *text, o, grants ? grants->column : std::string(), people_diags);
  diags.Append(people_diags);
  if (diags.HasErrors()) {
    PrintDiagnostics(diags, std::cerr);
    return ExitCode::kUsage;
  }
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  std::vector<Reading> readings;
  for (const std::string& name : o.connections) {
    const workflows::ConnectionSpec* conn = lp.pb.FindConnection(name);
    if (conn == nullptr || conn->builtin) {
      std::cerr << "tenure: " << playbook_path << " defines no connection '" << name << "'\n";
      return ExitCode::kUsage;
    }
    if (conn->connector != "scim" && conn->connector != "ldap" && conn->connector != "msgraph" &&
        conn->connector != "google") {
      std::cerr << "tenure: connection '" << name << "' is a " << conn->connector
                << " connection; reconcile reads scim (the sandbox's included), ldap, msgraph and google connections\n";
      return ExitCode::kUsage;
    }
    auto c = (*host)->factory().Create(*conn, (*host)->redactor());
    if (!c) {
      std::cerr << "tenure: " << c.error().message << "\n";
      return ExitCode::kUsage;
    }
    double rate = conn->rate_per_second;
    if (const auto* spec = (*host)->catalog().Find(conn->connector); rate <= 0 && spec != nullptr) {
      rate = spec->default_rate_per_second;
    }
    readings.push_back({name, std::move(*c), {rate, conn->max_in_flight}, {}, 0, ""});
  }
  bool interrupted = false;
  (*host)->Drive(ReadAll(**host, readings), &interrupted);
  if (interrupted) {
    std::cerr << "interrupted: nothing was changed\n";
    return ExitCode::kInterrupted;
  }
  std::vector<engine::Account> accounts;
  for (Reading& r : readings) {
    if (!r.error.empty()) {
      std::cerr << "tenure: reading the accounts of '" << r.connection << "': " << (*host)->redactor().Redact(r.error)
                << "\n";
      return ExitCode::kFailed;
    }
    accounts.insert(accounts.end(), r.accounts.begin(), r.accounts.end());
  }
  const std::vector<engine::Finding> findings =
      engine::FindDrift(hr.people, o.connections, accounts, grants ? &*grants : nullptr);
  if (o.json) {
    std::cout << ReportJson(readings, hr, findings, grants.has_value()).ToJson() << "\n";
  } else {
    PrintReport(o, readings, hr, findings, std::cout);
  }
  if (fix) {
    const ExitCode fixed = Fix(**host, o, *fix, hr, findings);
    if (fixed != ExitCode::kOk) return fixed;
  }
  return findings.empty() ? ExitCode::kOk : ExitCode::kFailed;
}

}  // namespace

void RegisterReconcileCommand(CLI::App& app, ExitCode* exit_code) {
  auto o = std::make_shared<ReconcileOptions>();
  auto* r = app.add_subcommand("reconcile", "Find drift between an HR export and the accounts of connections");
  r->add_option("connections", o->connections, "Connections to read (defined in --playbook)")->required();
  r->add_option("--people", o->people, "HR export (CSV with a header row)")->required()->check(CLI::ExistingFile);
  r->add_option("--key-column", o->key_column, "Column matched against account userName, e-mails and externalId")
      ->required();
  r->add_option("--status-column", o->status_column,
                "Column holding the person's HR status (without it, everyone listed is active)");
  r->add_option("--active-values", o->active_values, "Status values meaning active (default: active)")
      ->delimiter(',');
  r->add_option("--playbook", o->playbook, "Playbook defining the connections (default: the --fix playbook)")
      ->check(CLI::ExistingFile);
  r->add_option("--fix", o->fix, "Start this playbook for each leaver found, keyed by the person's key")
      ->check(CLI::ExistingFile);
  r->add_option("--grants", o->grants,
                "What each role may hold: a CSV ROLE_COLUMN,group (ROLE_COLUMN a column of the export, e.g. "
                "department; role * for everyone); reports groups held outside it")
      ->check(CLI::ExistingFile);
  r->add_flag("--yes,-y", o->yes, "With --fix: do not ask for confirmation");
  r->add_option("--allow-mass", o->allow_mass,
                "With --fix: start up to N runs even past the playbook's limits (docs/guards.md)")
      ->check(CLI::Range(1, 1000000));
  r->add_flag("--json", o->json, "Print the report as JSON");
  r->add_option("--format", o->format, "table (default), md or html (for an auditor)")
      ->check(CLI::IsMember({"table", "md", "html"}));
  r->add_option("--db", o->db, "State database for --fix (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db)");
  r->footer(
      "Reads every user of each connection (paged, within its rate limits) and reports leavers (active\n"
      "accounts of people not active in HR), orphans (accounts matching nobody) and missing accounts\n"
      "(people active in HR without one). docs/proof.md.\n"
      "Exit 0 no drift, 1 drift found (or a connection could not be read, or a --fix run failed), 2 bad\n"
      "input (CSV errors by row and column).\n"
      "Examples:\n"
      "  tenure reconcile --people hr.csv --key-column email --status-column status \\\n"
      "      --playbook examples/offboarding.yaml idp\n"
      "  tenure reconcile --people hr.csv --key-column email --status-column status --format md \\\n"
      "      --playbook examples/offboarding.yaml idp > drift.md\n"
      "  tenure reconcile --people hr.csv --key-column email --status-column status \\\n"
      "      --fix examples/offboarding.yaml --yes idp");
  r->callback([o, exit_code] { *exit_code = Reconcile(*o); });
}

}  // namespace tenure::cli
