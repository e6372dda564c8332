#include "workflows/loader.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>

#include "workflows/inputs.h"
#include "workflows/suggest.h"
#include "workflows/yaml_tree.h"

namespace tenure::workflows {
namespace {

constexpr std::string_view kTopKeys[] = {"playbook",   "description", "inputs",   "vars",      "connections", "defaults",
                                         "on_failure", "include",     "tasks",    "start_at",  "time_zone",
                                         "calendars",  "limits"};
constexpr std::string_view kInputKeys[] = {"type", "required", "default", "values", "pattern", "description", "items", "keys"};
constexpr std::string_view kCalendarKeys[] = {"weekends", "holidays", "description"};
constexpr std::string_view kConnectionKeys[] = {"connector", "rate", "max_in_flight", "description", "limits"};
constexpr std::string_view kLimitsKeys[] = {"max_runs_per_hour", "max_destructive_per_hour"};
constexpr std::string_view kDefaultsKeys[] = {"retry", "timeout"};
constexpr std::string_view kRetryKeys[] = {"attempts", "backoff", "max_backoff"};
constexpr std::string_view kTaskKeys[] = {"uses",  "with",    "needs",      "when",       "for_each",
                                          "retry", "timeout", "on_failure", "compensate", "description",
                                          "item_when", "skip", "until", "verify"};
constexpr std::string_view kUntilKeys[] = {"condition", "interval", "timeout"};
constexpr std::string_view kCompensateKeys[] = {"uses", "with"};
constexpr std::string_view kIncludeKeys[] = {"file", "as", "with", "needs"};
constexpr std::string_view kLibraryKeys[] = {"description", "params", "include", "tasks", "calendars"};
constexpr std::string_view kInputTypes[] = {"string", "email", "date", "datetime", "int", "bool", "enum", "list",
                                            "duration", "time_zone", "map"};
constexpr std::string_view kInputTypeList = "string, email, date, datetime, int, bool, enum, list, duration, time_zone, map";

constexpr std::size_t kMaxIncludeDepth = 16;
// Tasks in a playbook, included ones counted: bounds what validation allocates and how long it
// takes (docs/playbooks.md, "Limits").
constexpr std::size_t kMaxTasks = 10'000;

std::string Join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  return std::string(a) + "." + std::string(b);
}

// Loads one playbook and its includes. One instance per LoadPlaybook call.
class Loader {
 public:
  Loader(FileReader& files, Diagnostics& diags) : files_(files), diags_(diags) {}

  Playbook Run(const std::string& path) {
    // A duplicated key is reported and loading goes on, so the file's other mistakes show too.
    const YamlNode* root = ReadFile(path, SourceLocation{path, 0, 0});
    if (root != nullptr) LoadTop(*root, path);
    pb_.IndexTasks();
    ResolveNeeds();
    AttachExcerpts();
    return std::move(pb_);
  }

 private:
  // ---- files ----

  // Reads and parses `path` once, however often it is included; nullptr when it cannot be read
  // (with a diagnostic at `from`) or has a YAML syntax error (reported once, at the error).
  const YamlNode* ReadFile(const std::string& path, const SourceLocation& from) {
    if (const auto it = parsed_.find(path); it != parsed_.end()) return it->second;
    const YamlNode*& slot = parsed_[path];
    auto text = files_.Read(path);
    if (!text) {
      diags_.Error(from, "", "cannot read " + text.error().message);
      return nullptr;
    }
    pb_.sources.push_back({path, *text});
    bool complete = false;
    trees_.push_back(std::make_unique<YamlNode>(ParseYaml(pb_.sources.back().text, path, diags_, &complete)));
    if (!complete) return nullptr;
    slot = trees_.back().get();
    return slot;
  }

  void AttachExcerpts() {
    Diagnostics fixed;
    for (Diagnostic d : diags_.items()) {
      for (const SourceFile& f : pb_.sources) {
        if (f.path == d.where.file) AttachExcerpt(d, f.text);
      }
      fixed.Add(std::move(d));
    }
    diags_ = std::move(fixed);
  }

  // ---- generic checks ----

  void Error(const SourceLocation& where, const std::string& path, std::string message) {
    diags_.Error(where, path, std::move(message));
  }

  bool ExpectMap(const YamlNode& n, const std::string& path, std::string_view what) {
    if (n.IsMap()) return true;
    Error(n.where, path, std::string(what) + " must be a mapping, got " + n.Describe());
    return false;
  }

  // Reports every key of `n` not in `known`, with a suggestion.
  void CheckKeys(const YamlNode& n, std::span<const std::string_view> known, const std::string& path,
                 std::string_view where_name) {
    for (const YamlEntry& e : n.entries) {
      if (std::find(known.begin(), known.end(), e.key.scalar) != known.end()) continue;
      Error(e.key.where, Join(path, e.key.scalar),
            "unknown key '" + e.key.scalar + "' in " + std::string(where_name) + DidYouMean(e.key.scalar, known));
    }
  }

  std::optional<std::string> String(const YamlNode& n, const std::string& path, std::string_view what) {
    if (n.IsScalar()) return n.scalar;
    Error(n.where, path, std::string(what) + " must be text, got " + n.Describe());
    return std::nullopt;
  }

  std::optional<bool> Bool(const YamlNode& n, const std::string& path) {
    const Value v = ToValue(n);
    if (n.IsScalar() && !n.quoted && v.IsBool()) return v.AsBool();
    Error(n.where, path, "expected true or false, got '" + n.scalar + "'");
    return std::nullopt;
  }

  std::optional<std::int64_t> Int(const YamlNode& n, const std::string& path, std::int64_t min, std::int64_t max) {
    const Value v = ToValue(n);
    if (!n.IsScalar() || n.quoted || !v.IsInt()) {
      Error(n.where, path, "expected a whole number, got " + (n.IsScalar() ? "'" + n.scalar + "'" : n.Describe()));
      return std::nullopt;
    }
    if (v.AsInt() < min || v.AsInt() > max) {
      Error(n.where, path,
            "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + n.scalar);
      return std::nullopt;
    }
    return v.AsInt();
  }

  std::optional<Duration> DurationField(const YamlNode& n, const std::string& path) {
    if (!n.IsScalar()) {
      Error(n.where, path, "expected a duration like 30s, 5m, 2h or 7d, got " + std::string(n.Describe()));
      return std::nullopt;
    }
    auto d = ParseDuration(n.scalar);
    if (!d) {
      Error(n.where, path, d.error().message);
      return std::nullopt;
    }
    return *d;
  }

  bool Id(const YamlNode& key, const std::string& path, std::string_view what) {
    if (IsValidId(key.scalar)) return true;
    Error(key.where, path,
          "invalid " + std::string(what) + " '" + key.scalar +
              "': use lower-case letters, digits and '_', starting with a letter (at most 64)");
    return false;
  }

  // ---- top level ----

  void LoadTop(const YamlNode& root, const std::string& path) {
    if (root.IsNull()) {
      Error(SourceLocation{path, 1, 1}, "", "empty playbook: expected a mapping with 'playbook' and 'tasks'");
      return;
    }
    if (!ExpectMap(root, "", "a playbook")) return;
    if (root.Find("playbook") == nullptr && root.Find("params") != nullptr) {
      Error(root.where, "",
            "this looks like a task library (it has 'params' and no 'playbook'): libraries are checked "
            "through a playbook that includes them");
      return;
    }
    CheckKeys(root, kTopKeys, "", "the playbook");
    pb_.where = root.where;
    if (const YamlNode* n = root.Find("playbook")) {
      if (auto s = String(*n, "playbook", "'playbook'")) {
        pb_.name = *s;
        pb_.where = n->where;
        if (pb_.name.empty()) Error(n->where, "playbook", "'playbook' (the name) must not be empty");
      }
    } else {
      Error(root.where, "playbook", "missing key 'playbook' (the playbook's name)");
    }
    if (const YamlNode* n = root.Find("description")) pb_.description = String(*n, "description", "'description'").value_or("");
    if (const YamlNode* n = root.Find("inputs")) LoadInputs(*n, "inputs", pb_.inputs);
    if (const YamlNode* n = root.Find("calendars")) LoadCalendars(*n, path);
    if (const YamlNode* n = root.Find("vars")) LoadVars(*n);
    if (const YamlNode* n = root.Find("connections")) LoadConnections(*n);
    if (const YamlNode* n = root.Find("defaults")) LoadDefaults(*n);
    if (const YamlNode* n = root.Find("on_failure")) LoadRunFailure(*n);
    if (const YamlNode* n = root.Find("limits")) LoadLimits(*n, "limits", pb_.limits);
    if (const YamlNode* n = root.Find("start_at")) LoadScalarTemplate(*n, "start_at", pb_.start_at);
    if (const YamlNode* n = root.Find("time_zone")) LoadScalarTemplate(*n, "time_zone", pb_.time_zone);
    if (pb_.start_at.has_value() != pb_.time_zone.has_value()) {
      const YamlNode* n = root.Find(pb_.start_at ? "start_at" : "time_zone");
      Error(n->where, pb_.start_at ? "start_at" : "time_zone",
            "'start_at' and 'time_zone' go together: a local date-time needs its IANA time zone");
    }
    AddBuiltinConnections();
    LoadBody(root, -1, path, {path});
    if (root.Find("tasks") == nullptr) Error(root.where, "tasks", "missing key 'tasks': a playbook needs at least one task");
  }

  // A top-level text that may be a template (start_at, time_zone): rendered when a schedule is added.
  void LoadScalarTemplate(const YamlNode& n, const std::string& path, std::optional<YamlNode>& out) {
    if (!n.IsScalar() || n.scalar.empty()) {
      Error(n.where, path, "'" + path + "' must be text (a template is allowed), got " + std::string(n.Describe()));
      return;
    }
    out = n;
  }

  // `include:` then `tasks:` of a playbook or a library file.
  void LoadBody(const YamlNode& root, int include, const std::string& path, std::vector<std::string> chain) {
    if (const YamlNode* n = root.Find("include")) LoadIncludes(*n, include, path, chain);
    if (const YamlNode* n = root.Find("tasks")) LoadTasks(*n, include);
  }

  void LoadInputs(const YamlNode& n, const std::string& path, std::vector<InputSpec>& out) {
    if (n.IsNull()) return;
    if (!ExpectMap(n, path, "'" + path + "'")) return;
    for (const YamlEntry& e : n.entries) {
      const std::string p = Join(path, e.key.scalar);
      if (!Id(e.key, p, "input name")) continue;
      out.push_back(LoadInput(e, p));
    }
  }

  InputSpec LoadInput(const YamlEntry& e, const std::string& path) {
    InputSpec in;
    in.name = e.key.scalar;
    in.where = e.key.where;
    const YamlNode& n = e.value;
    if (n.IsScalar()) {  // shorthand: `first_name: string`
      SetInputType(in, n, path);
      return in;
    }
    if (n.IsNull()) return in;
    if (!ExpectMap(n, path, "an input")) return in;
    CheckKeys(n, kInputKeys, path, "input '" + in.name + "'");
    if (const YamlNode* t = n.Find("type")) SetInputType(in, *t, path + ".type");
    if (const YamlNode* v = n.Find("values")) LoadEnumValues(in, *v, path + ".values");
    if (in.type == InputType::kEnum && in.values.empty() && n.Find("values") == nullptr) {
      Error(n.where, path + ".values", "enum input '" + in.name + "' needs 'values': the allowed values");
    }
    if (const YamlNode* d = n.Find("description")) in.description = String(*d, path + ".description", "'description'").value_or("");
    if (const YamlNode* p = n.Find("pattern")) LoadPattern(in, *p, path + ".pattern");
    if (const YamlNode* r = n.Find("required")) in.required = Bool(*r, path + ".required").value_or(true);
    if (const YamlNode* i = n.Find("items")) LoadItems(in, *i, path + ".items");
    if (const YamlNode* k = n.Find("keys")) LoadMapKeys(in, *k, path + ".keys");
    if (const YamlNode* d = n.Find("default")) LoadDefault(in, *d, path + ".default");
    return in;
  }

  // `items:` of a list input: a type (`items: email`) or a full declaration (`items: {type: map, keys: ..}`).
  void LoadItems(InputSpec& in, const YamlNode& n, const std::string& path) {
    if (in.type != InputType::kList) {
      Error(n.where, path, "'items' is only for inputs of type list");
      return;
    }
    YamlEntry entry;
    entry.key.kind = YamlNode::Kind::kScalar;
    entry.key.scalar = "items";
    entry.key.where = n.where;
    entry.value = n;
    if (++input_depth_ > 8) {
      Error(n.where, path, "input types nest too deeply (at most 8 levels)");
    } else {
      in.items = std::make_shared<const InputSpec>(LoadInput(entry, path));
    }
    --input_depth_;
  }

  // `keys:` of a map input: each key declared like an input (`email: email`, `name: {type: string, required: false}`).
  void LoadMapKeys(InputSpec& in, const YamlNode& n, const std::string& path) {
    if (in.type != InputType::kMap) {
      Error(n.where, path, "'keys' is only for inputs of type map");
      return;
    }
    if (!ExpectMap(n, path, "'keys' (each key of the map, declared like an input)")) return;
    if (++input_depth_ > 8) {
      Error(n.where, path, "input types nest too deeply (at most 8 levels)");
    } else {
      for (const YamlEntry& e : n.entries) in.keys.push_back(LoadInput(e, Join(path, e.key.scalar)));
    }
    --input_depth_;
  }

  // `calendars:` name -> {weekends: [Sat, Sun], holidays: [2026-12-25, ...]}: one namespace for
  // the playbook and its libraries.
  void LoadCalendars(const YamlNode& n, const std::string& file) {
    if (n.IsNull() || !ExpectMap(n, "calendars", "'calendars'")) return;
    for (const YamlEntry& e : n.entries) {
      const std::string path = Join("calendars", e.key.scalar);
      if (!Id(e.key, path, "calendar name") || !ExpectMap(e.value, path, "a calendar (weekends and holidays)")) continue;
      if (pb_.calendars.Contains(e.key.scalar)) {
        Error(e.key.where, path, "calendar '" + e.key.scalar + "' is declared twice (calendars are shared by the playbook and its libraries)");
        continue;
      }
      CheckKeys(e.value, kCalendarKeys, path, "calendar '" + e.key.scalar + "'");
      Map cal;
      List weekends{Value("Sat"), Value("Sun")};
      if (const YamlNode* w = e.value.Find("weekends")) {
        weekends.clear();
        if (!w->IsSequence()) Error(w->where, path + ".weekends", "'weekends' must be a list of day names, like [Sat, Sun]");
        for (const YamlNode& d : w->items) {
          static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "Tuesday",
                                                       "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
          if (!d.IsScalar() || std::find(std::begin(kDays), std::end(kDays), d.scalar) == std::end(kDays)) {
            Error(d.where, path + ".weekends", "'" + d.scalar + "' is not a day name (Mon .. Sun or Monday .. Sunday)" + DidYouMean(d.scalar, kDays));
            continue;
          }
          weekends.emplace_back(d.scalar.substr(0, 3));
        }
        if (weekends.size() >= 7) Error(w->where, path + ".weekends", "a calendar needs at least one working day");
      }
      List holidays;
      if (const YamlNode* h = e.value.Find("holidays")) {
        if (!h->IsSequence()) Error(h->where, path + ".holidays", "'holidays' must be a list of dates (YYYY-MM-DD)");
        for (const YamlNode& d : h->items) {
          if (!d.IsScalar() || !IsValidDate(d.scalar)) {
            Error(d.where, path + ".holidays", "holiday '" + d.scalar + "' is not a date (YYYY-MM-DD)");
            continue;
          }
          holidays.emplace_back(d.scalar);
        }
      }
      cal.Set("weekends", Value(std::move(weekends)));
      cal.Set("holidays", Value(std::move(holidays)));
      pb_.calendars.Set(e.key.scalar, Value(std::move(cal)));
    }
    (void)file;
  }

  void SetInputType(InputSpec& in, const YamlNode& t, const std::string& path) {
    if (!t.IsScalar()) {
      Error(t.where, path, "input type must be one of " + std::string(kInputTypeList));
      return;
    }
    const auto it = std::find(std::begin(kInputTypes), std::end(kInputTypes), t.scalar);
    if (it == std::end(kInputTypes)) {
      Error(t.where, path,
            "unknown input type '" + t.scalar + "'" + DidYouMean(t.scalar, kInputTypes) +
                "; expected one of " + std::string(kInputTypeList));
      return;
    }
    in.type = static_cast<InputType>(it - std::begin(kInputTypes));
  }

  void LoadEnumValues(InputSpec& in, const YamlNode& v, const std::string& path) {
    if (in.type != InputType::kEnum) Error(v.where, path, "'values' is only for inputs of type enum");
    if (!v.IsSequence() || v.items.empty()) {
      Error(v.where, path, "'values' must be a non-empty list of allowed values");
      return;
    }
    for (const YamlNode& item : v.items) {
      if (item.IsScalar()) {
        in.values.push_back(item.scalar);
      } else {
        Error(item.where, path, "enum values must be text, got " + std::string(item.Describe()));
      }
    }
  }

  void LoadPattern(InputSpec& in, const YamlNode& p, const std::string& path) {
    auto s = String(p, path, "'pattern'");
    if (!s) return;
    try {
      std::regex check(*s, std::regex::ECMAScript);
      in.pattern = *s;
    } catch (const std::regex_error& e) {
      Error(p.where, path, "invalid regular expression '" + *s + "': " + e.what());
    }
  }

  void LoadDefault(InputSpec& in, const YamlNode& d, const std::string& path) {
    Value v = ToValue(d);
    if (auto why = CheckInputValue(in, v)) {
      Error(d.where, path, "default of input '" + in.name + "': " + *why);
      return;
    }
    in.default_value = std::move(v);
    in.required = false;
  }

  void LoadVars(const YamlNode& n) {
    if (n.IsNull() || !ExpectMap(n, "vars", "'vars'")) return;
    for (const YamlEntry& e : n.entries) {
      if (!Id(e.key, Join("vars", e.key.scalar), "var name")) continue;
      pb_.vars.push_back({e.key.scalar, e.key.where, e.value});
    }
  }

  void LoadConnections(const YamlNode& n) {
    if (n.IsNull() || !ExpectMap(n, "connections", "'connections'")) return;
    for (const YamlEntry& e : n.entries) {
      const std::string path = Join("connections", e.key.scalar);
      if (!Id(e.key, path, "connection name")) continue;
      if (e.key.scalar == "manual" || e.key.scalar == "timer") {
        Error(e.key.where, path, "'" + e.key.scalar + "' is a built-in connection; choose another name");
        continue;
      }
      if (ExpectMap(e.value, path, "a connection")) pb_.connections.push_back(LoadConnection(e, path));
    }
  }

  ConnectionSpec LoadConnection(const YamlEntry& e, const std::string& path) {
    ConnectionSpec c;
    c.name = e.key.scalar;
    c.where = e.key.where;
    c.config.kind = YamlNode::Kind::kMap;
    c.config.where = e.value.where;
    for (const YamlEntry& kv : e.value.entries) {
      const std::string& k = kv.key.scalar;
      if (k == "connector") {
        c.connector = String(kv.value, path + ".connector", "'connector'").value_or("");
        c.connector_where = kv.value.where;
      } else if (k == "rate") {
        LoadRate(c, kv.value, path + ".rate");
      } else if (k == "max_in_flight") {
        c.max_in_flight = static_cast<int>(Int(kv.value, path + ".max_in_flight", 1, 10000).value_or(0));
      } else if (k == "description") {
        c.description = String(kv.value, path + ".description", "'description'").value_or("");
      } else if (k == "limits") {
        LoadLimits(kv.value, path + ".limits", c.limits);
      } else {
        c.config.entries.push_back(kv);  // the connector's own keys, checked by validation
      }
    }
    if (e.value.Find("connector") == nullptr) {
      Error(e.key.where, path + ".connector", "connection '" + c.name + "' needs 'connector' (its type, e.g. scim)");
    }
    return c;
  }

  void LoadRate(ConnectionSpec& c, const YamlNode& n, const std::string& path) {
    auto s = String(n, path, "'rate'");
    if (!s) return;
    auto r = ParseRate(*s);
    if (!r) {
      Error(n.where, path, r.error().message);
      return;
    }
    c.rate_per_second = *r;
    c.rate_text = *s;
  }

  // `limits: {max_runs_per_hour: N, max_destructive_per_hour: N}` (docs/guards.md).
  void LoadLimits(const YamlNode& n, const std::string& path, LimitsSpec& l) {
    l.where = n.where;
    if (!ExpectMap(n, path, "'limits'")) return;
    CheckKeys(n, kLimitsKeys, path, "'limits'");
    if (const YamlNode* v = n.Find("max_runs_per_hour")) {
      l.max_runs_per_hour = static_cast<int>(Int(*v, path + ".max_runs_per_hour", 1, 1'000'000).value_or(0));
    }
    if (const YamlNode* v = n.Find("max_destructive_per_hour")) {
      l.max_destructive_per_hour = static_cast<int>(Int(*v, path + ".max_destructive_per_hour", 1, 1'000'000).value_or(0));
    }
  }

  void AddBuiltinConnections() {
    for (const char* name : {"manual", "timer"}) {
      ConnectionSpec c;
      c.name = name;
      c.connector = name;
      c.builtin = true;
      pb_.connections.push_back(std::move(c));
    }
  }

  void LoadDefaults(const YamlNode& n) {
    if (n.IsNull() || !ExpectMap(n, "defaults", "'defaults'")) return;
    CheckKeys(n, kDefaultsKeys, "defaults", "'defaults'");
    if (const YamlNode* r = n.Find("retry")) LoadRetry(*r, "defaults.retry", pb_.default_retry);
    if (const YamlNode* t = n.Find("timeout")) pb_.default_timeout = DurationField(*t, "defaults.timeout").value_or(pb_.default_timeout);
  }

  void LoadRetry(const YamlNode& n, const std::string& path, RetrySpec& r) {
    if (!ExpectMap(n, path, "'retry'")) return;
    CheckKeys(n, kRetryKeys, path, "'retry'");
    if (const YamlNode* a = n.Find("attempts")) r.attempts = static_cast<int>(Int(*a, path + ".attempts", 1, 100).value_or(r.attempts));
    if (const YamlNode* b = n.Find("backoff")) r.backoff = DurationField(*b, path + ".backoff").value_or(r.backoff);
    if (const YamlNode* m = n.Find("max_backoff")) r.max_backoff = DurationField(*m, path + ".max_backoff").value_or(r.max_backoff);
    if (r.max_backoff < r.backoff) {
      Error(n.where, path, "max_backoff (" + FormatDuration(r.max_backoff) + ") is shorter than backoff (" +
                               FormatDuration(r.backoff) + ")");
    }
  }

  void LoadRunFailure(const YamlNode& n) {
    if (n.IsScalar() && n.scalar == "fail") {
      pb_.on_failure = RunFailurePolicy::kFail;
    } else if (n.IsScalar() && n.scalar == "compensate") {
      pb_.on_failure = RunFailurePolicy::kCompensate;
    } else {
      Error(n.where, "on_failure", "on_failure must be 'fail' or 'compensate', got '" + n.scalar + "'");
    }
  }

  // ---- tasks ----

  void LoadTasks(const YamlNode& n, int include) {
    const std::string prefix = pb_.Prefix(include);
    if (n.IsNull()) return;
    if (!ExpectMap(n, "tasks", "'tasks'")) return;
    for (const YamlEntry& e : n.entries) {
      const std::string path = Join("tasks", Join(prefix, e.key.scalar));
      if (!Id(e.key, path, "task id")) continue;
      if (FindInclude(Join(prefix, e.key.scalar)) >= 0) {
        Error(e.key.where, path, "task id '" + e.key.scalar + "' is already the name of an include");
        continue;
      }
      if (pb_.tasks.size() >= kMaxTasks) {
        if (!too_many_tasks_) {
          Error(e.key.where, path, "too many tasks: a playbook may have at most 10000, counting included files; split it into several playbooks");
        }
        too_many_tasks_ = true;
        return;
      }
      if (ExpectMap(e.value, path, "a task")) LoadTask(e, path, include);
    }
  }

  void LoadTask(const YamlEntry& e, const std::string& path, int include) {
    TaskSpec t;
    t.id = Join(pb_.Prefix(include), e.key.scalar);
    t.where = e.key.where;
    t.include = include;
    t.retry = pb_.default_retry;
    t.timeout = pb_.default_timeout;
    const YamlNode& n = e.value;
    CheckKeys(n, kTaskKeys, path, "task '" + e.key.scalar + "'");
    if (const YamlNode* u = n.Find("uses")) {
      t.call = LoadCall(n, *u, path);
    } else {
      Error(e.key.where, path + ".uses", "task '" + e.key.scalar + "' needs 'uses: CONNECTION.ACTION'");
    }
    if (const YamlNode* d = n.Find("description")) t.description = String(*d, path + ".description", "'description'").value_or("");
    if (const YamlNode* x = n.Find("needs")) LoadNeeds(*x, path + ".needs", t);
    if (const YamlNode* w = n.Find("when")) LoadWhen(*w, path + ".when", t);
    if (const YamlNode* f = n.Find("for_each")) LoadForEach(*f, path + ".for_each", t);
    if (const YamlNode* w = n.Find("item_when")) LoadItemWhen(*w, path + ".item_when", t);
    if (const YamlNode* s = n.Find("skip")) LoadSkip(*s, path + ".skip", t);
    if (const YamlNode* u = n.Find("until")) LoadUntil(*u, path + ".until", t);
    if (const YamlNode* r = n.Find("retry")) LoadRetry(*r, path + ".retry", t.retry);
    if (const YamlNode* x = n.Find("timeout")) t.timeout = DurationField(*x, path + ".timeout").value_or(t.timeout);
    if (const YamlNode* o = n.Find("on_failure")) LoadTaskFailure(*o, path + ".on_failure", t);
    if (const YamlNode* c = n.Find("compensate")) LoadCompensate(*c, path + ".compensate", t);
    if (const YamlNode* v = n.Find("verify")) t.verify = Bool(*v, path + ".verify");
    pb_.tasks.push_back(std::move(t));
  }

  ActionCall LoadCall(const YamlNode& parent, const YamlNode& uses, const std::string& path) {
    ActionCall call;
    call.where = uses.where;
    if (auto s = String(uses, path + ".uses", "'uses'")) {
      const auto dot = s->find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == s->size() || s->find('.', dot + 1) != std::string::npos) {
        Error(uses.where, path + ".uses", "'uses' must be CONNECTION.ACTION (e.g. idp.ensure_user), got '" + *s + "'");
      } else {
        call.connection = s->substr(0, dot);
        call.action = s->substr(dot + 1);
      }
    }
    if (const YamlNode* w = parent.Find("with")) {
      if (w->IsMap() || w->IsNull()) {
        call.with = *w;
      } else {
        Error(w->where, path + ".with", "'with' must be a mapping of arguments, got " + std::string(w->Describe()));
      }
    }
    return call;
  }

  void LoadNeeds(const YamlNode& n, const std::string& path, TaskSpec& t) {
    auto add = [&](const YamlNode& item) {
      if (item.IsScalar() && !item.scalar.empty()) {
        t.needs.push_back(item.scalar);  // local names; ResolveNeeds makes them global
        t.needs_where.push_back(item.where);
      } else {
        Error(item.where, path, "'needs' lists task ids, got " + std::string(item.Describe()));
      }
    };
    if (n.IsSequence()) {
      for (const YamlNode& item : n.items) add(item);
    } else {
      add(n);
    }
  }

  void LoadWhen(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (!n.IsScalar()) {
      Error(n.where, path, "'when' must be a condition such as \"{{ inputs.manager != null }}\", got " +
                               std::string(n.Describe()));
      return;
    }
    t.when = n;
  }

  void LoadForEach(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (!n.IsSequence() && !n.IsScalar()) {
      Error(n.where, path, "'for_each' must be a list or an expression yielding a list, got " +
                               std::string(n.Describe()));
      return;
    }
    t.for_each = n;
  }

  void LoadItemWhen(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (!t.for_each) {
      Error(n.where, path, "'item_when' is a condition on each item of a for_each; this task has no for_each (use 'when')");
      return;
    }
    if (!n.IsScalar()) {
      Error(n.where, path, "'item_when' must be a condition such as \"{{ item != 'everyone' }}\", got " +
                               std::string(n.Describe()));
      return;
    }
    t.item_when = n;
  }

  void LoadUntil(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (!ExpectMap(n, path, "'until' (condition, interval, timeout)")) return;
    CheckKeys(n, kUntilKeys, path, "'until'");
    UntilSpec u;
    u.where = n.where;
    if (const YamlNode* c = n.Find("condition"); c != nullptr && c->IsScalar() && c->scalar.find("{{") != std::string::npos) {
      u.condition = *c;
    } else {
      Error(c != nullptr ? c->where : n.where, path + ".condition",
            "'until' needs 'condition': a template over the action's result, like \"{{ result.status == 'done' }}\"");
      return;
    }
    if (const YamlNode* i = n.Find("interval")) u.interval = DurationField(*i, path + ".interval").value_or(u.interval);
    if (const YamlNode* x = n.Find("timeout")) u.timeout = DurationField(*x, path + ".timeout").value_or(u.timeout);
    if (u.interval < std::chrono::seconds(1)) Error(n.where, path + ".interval", "'interval' must be at least 1s");
    if (u.timeout < u.interval) {
      Error(n.where, path + ".timeout", "'timeout' (" + FormatDuration(u.timeout) + ") is shorter than 'interval' (" +
                                            FormatDuration(u.interval) + ")");
    }
    t.until = std::move(u);
  }

  void LoadSkip(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (n.IsScalar() && (n.scalar == "propagate" || n.scalar == "continue")) {
      t.skip_propagates = n.scalar == "propagate";
      if (!t.when) Error(n.where, path, "'skip' says what a skip by 'when' does to dependents; this task has no 'when'");
    } else {
      Error(n.where, path, "'skip' must be 'propagate' (dependents are skipped too) or 'continue' (they run), got '" + n.scalar + "'");
    }
  }

  void LoadTaskFailure(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (n.IsScalar() && n.scalar == "fail") {
      t.on_failure = TaskFailurePolicy::kFail;
    } else if (n.IsScalar() && n.scalar == "continue") {
      t.on_failure = TaskFailurePolicy::kContinue;
    } else {
      Error(n.where, path, "a task's on_failure must be 'fail' or 'continue', got '" + n.scalar + "'");
    }
  }

  void LoadCompensate(const YamlNode& n, const std::string& path, TaskSpec& t) {
    if (!ExpectMap(n, path, "'compensate'")) return;
    CheckKeys(n, kCompensateKeys, path, "'compensate'");
    const YamlNode* u = n.Find("uses");
    if (u == nullptr) {
      Error(n.where, path + ".uses", "'compensate' needs 'uses: CONNECTION.ACTION'");
      return;
    }
    t.compensate = LoadCall(n, *u, path);
  }

  // ---- includes ----

  int FindInclude(std::string_view name) const {
    for (std::size_t i = 0; i < pb_.includes.size(); ++i) {
      if (pb_.includes[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  void LoadIncludes(const YamlNode& n, int parent, const std::string& path, const std::vector<std::string>& chain) {
    if (n.IsNull()) return;
    if (!n.IsSequence()) {
      Error(n.where, "include", "'include' must be a list of {file, as, with, needs}, got " + std::string(n.Describe()));
      return;
    }
    for (const YamlNode& item : n.items) {
      if (ExpectMap(item, "include", "an include")) LoadInclude(item, parent, path, chain);
    }
  }

  void LoadInclude(const YamlNode& n, int parent, const std::string& including, std::vector<std::string> chain) {
    CheckKeys(n, kIncludeKeys, "include", "an include");
    const YamlNode* file = n.Find("file");
    const YamlNode* as = n.Find("as");
    if (file == nullptr || as == nullptr) {
      Error(n.where, "include", std::string("an include needs ") + (file == nullptr ? "'file'" : "'as'") +
                                    (file == nullptr && as == nullptr ? " and 'as'" : ""));
      return;
    }
    auto rel = String(*file, "include.file", "'file'");
    if (!rel || !as->IsScalar() || !Id(*as, "include.as", "include name")) return;
    const std::string name = Join(pb_.Prefix(parent), as->scalar);
    if (FindInclude(name) >= 0 || pb_.FindTask(name) != nullptr) {
      Error(as->where, "include.as", "include name '" + as->scalar + "' is already used");
      return;
    }
    const std::string resolved = ResolvePath(including, *rel);
    if (std::find(chain.begin(), chain.end(), resolved) != chain.end() || chain.size() > kMaxIncludeDepth) {
      std::string cycle;
      for (const auto& c : chain) cycle += c + " -> ";
      Error(file->where, "include.file", "include cycle: " + cycle + resolved);
      return;
    }
    const YamlNode* lib = ReadFile(resolved, file->where);
    IncludeSpec inc;
    inc.name = name;
    inc.file = resolved;
    inc.where = as->where;
    inc.parent = parent;
    inc.unreadable = lib == nullptr;  // kept, so that `needs` and `tasks.` naming it do not cascade
    if (const YamlNode* w = n.Find("with")) inc.with = *w;
    pb_.includes.push_back(std::move(inc));
    if (lib == nullptr) return;
    const int index = static_cast<int>(pb_.includes.size() - 1);
    chain.push_back(resolved);
    const std::size_t first_task = pb_.tasks.size();
    LoadLibrary(*lib, index, resolved, chain);
    if (const YamlNode* needs = n.Find("needs")) AddIncludeNeeds(*needs, first_task, parent);
  }

  static std::string ResolvePath(const std::string& including, const std::string& rel) {
    std::filesystem::path p(rel);
    if (p.is_relative()) p = std::filesystem::path(including).parent_path() / p;
    return p.lexically_normal().string();
  }

  void LoadLibrary(const YamlNode& lib, int index, const std::string& path, const std::vector<std::string>& chain) {
    if (!ExpectMap(lib, "", "a task library file")) return;
    CheckKeys(lib, kLibraryKeys, "", "a task library file (an included file)");
    if (const YamlNode* c = lib.Find("calendars")) LoadCalendars(*c, path);
    if (const YamlNode* p = lib.Find("params")) {
      std::vector<InputSpec> params;
      LoadInputs(*p, "params", params);
      pb_.includes[static_cast<std::size_t>(index)].params = std::move(params);
    }
    LoadBody(lib, index, path, chain);
  }

  // The include's own `needs` apply to the included tasks that need nothing inside it.
  void AddIncludeNeeds(const YamlNode& needs, std::size_t first_task, int parent) {
    TaskSpec carrier;
    LoadNeeds(needs, "include.needs", carrier);
    for (std::size_t i = first_task; i < pb_.tasks.size(); ++i) {
      TaskSpec& t = pb_.tasks[i];
      if (!t.needs.empty()) continue;
      for (std::size_t k = 0; k < carrier.needs.size(); ++k) {
        // '^': already global. Appended rather than `"^" + Join(...)`: GCC 12 at -O3 reports that
        // insert at the front of a temporary as an overlapping memcpy (-Wrestrict), a false
        // positive (GCC PR 105329).
        std::string global = "^";
        global += Join(pb_.Prefix(parent), carrier.needs[k]);
        t.needs.push_back(std::move(global));
        t.needs_where.push_back(carrier.needs_where[k]);
      }
    }
  }

  // Turns local `needs` names into global task ids; a name of an include means all its tasks.
  void ResolveNeeds() {
    for (TaskSpec& t : pb_.tasks) {
      std::vector<std::string> ids;
      std::vector<SourceLocation> wheres;
      for (std::size_t k = 0; k < t.needs.size(); ++k) {
        const std::string& raw = t.needs[k];
        const std::string global = raw[0] == '^' ? raw.substr(1) : Join(pb_.Prefix(t.include), raw);
        const std::size_t before = ids.size();
        ExpandNeed(global, ids);
        if (ids.size() == before && !InUnreadableInclude(global)) {
          ReportUnknownNeed(t, raw[0] == '^' ? raw.substr(1) : raw, t.needs_where[k]);
        }
        wheres.resize(ids.size(), t.needs_where[k]);
      }
      t.needs = std::move(ids);
      t.needs_where = std::move(wheres);
    }
  }

  void ExpandNeed(const std::string& global, std::vector<std::string>& out) const {
    if (pb_.FindTask(global) != nullptr) {
      out.push_back(global);
      return;
    }
    if (FindInclude(global) < 0) return;
    for (const TaskSpec& other : pb_.tasks) {
      if (other.id.size() > global.size() && other.id.compare(0, global.size(), global) == 0 &&
          other.id[global.size()] == '.') {
        out.push_back(other.id);
      }
    }
  }

  // True when `id` names an include whose file could not be loaded, or something inside it.
  bool InUnreadableInclude(std::string_view id) const {
    return std::any_of(pb_.includes.begin(), pb_.includes.end(), [&](const IncludeSpec& i) {
      return i.unreadable && (id == i.name || (id.size() > i.name.size() && id.starts_with(i.name) &&
                                               id[i.name.size()] == '.'));
    });
  }

  void ReportUnknownNeed(const TaskSpec& t, const std::string& name, const SourceLocation& where) {
    std::vector<std::string_view> candidates;
    const std::string prefix = pb_.Prefix(t.include);
    for (const TaskSpec& other : pb_.tasks) {
      if (other.include == t.include) candidates.push_back(std::string_view(other.id).substr(prefix.empty() ? 0 : prefix.size() + 1));
    }
    Error(where, "tasks." + t.id + ".needs", "unknown task '" + name + "' in needs" + DidYouMean(name, candidates));
  }

  FileReader& files_;
  Diagnostics& diags_;
  Playbook pb_;
  bool too_many_tasks_ = false;  // reported once
  int input_depth_ = 0;          // nesting of items/keys declarations
  std::vector<std::unique_ptr<YamlNode>> trees_;  // parsed files; the model copies what it keeps
  std::map<std::string, const YamlNode*> parsed_;  // path -> its tree in trees_, nullptr if unusable
};

}  // namespace

Playbook LoadPlaybook(FileReader& files, const std::string& path, Diagnostics& diags) {
  Loader loader(files, diags);
  return loader.Run(path);
}

std::span<const std::string_view> KnownKeys(Section s) {
  switch (s) {
    case Section::kTop: return kTopKeys;
    case Section::kInput: return kInputKeys;
    case Section::kConnection: return kConnectionKeys;
    case Section::kDefaults: return kDefaultsKeys;
    case Section::kRetry: return kRetryKeys;
    case Section::kTask: return kTaskKeys;
    case Section::kCompensate: return kCompensateKeys;
    case Section::kInclude: return kIncludeKeys;
    case Section::kLibrary: return kLibraryKeys;
  }
  return {};
}

Result<Duration> ParseDuration(std::string_view text) {
  const auto bad = [&] {
    return Error::InvalidArgument("invalid duration '" + std::string(text) +
                                  "': expected a number and a unit (ms, s, m, h, d, w), like 30s, 5m, 2h, 7d, 4w or 1h30m");
  };
  if (text.empty()) return bad();
  Duration total{0};
  std::string_view rest = text;
  while (!rest.empty()) {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || n < 0 || n > 100'000'000) return bad();
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    std::int64_t unit_ms = 0;
    if (rest.starts_with("ms")) {
      unit_ms = 1;
      rest.remove_prefix(2);
    } else if (!rest.empty() && std::string_view("smhdw").find(rest[0]) != std::string_view::npos) {
      unit_ms = rest[0] == 's'   ? 1000
                : rest[0] == 'm' ? 60'000
                : rest[0] == 'h' ? 3'600'000
                : rest[0] == 'd' ? 86'400'000
                                 : 7 * 86'400'000;
      rest.remove_prefix(1);
    } else {
      return bad();
    }
    total += Duration(n * unit_ms);
  }
  return total;
}

std::string FormatDuration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (auto [unit, name] : {std::pair<std::int64_t, const char*>{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"},
                            {1000, "s"}, {1, "ms"}}) {
    if (ms >= unit) {
      out += std::to_string(ms / unit) + name;
      ms %= unit;
    }
  }
  return out;
}

Result<double> ParseRate(std::string_view text) {
  const auto bad = [&] {
    return Error::InvalidArgument("invalid rate '" + std::string(text) +
                                  "': expected requests per unit, like 20/s, 600/m or 1000/h");
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  double n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + slash, n);
  if (ec != std::errc() || ptr != text.data() + slash || n <= 0) return bad();
  const std::string_view unit = text.substr(slash + 1);
  if (unit == "s") return n;
  if (unit == "m") return n / 60.0;
  if (unit == "h") return n / 3600.0;
  return bad();
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace tenure::workflows
