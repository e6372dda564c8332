// The console's pages and API: requests in, responses out (no network here; see server.cc).
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "console/console.h"
#include "engine/decisions.h"
#include "engine/people.h"
#include "workflows/html_escape.h"

namespace tenure::console {
namespace {

using engine::FormatRfc3339;
using engine::FromUnixMillis;

const char* const kCss = R"css(body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.prompt{font-size:1.2rem;background:#f4f6fb;padding:1rem;border-left:4px solid #3b5bdb;white-space:pre-wrap}
.refused{background:#fff4f4;border-left:4px solid #c92a2a;padding:1rem}.ok{background:#f3fbf3;border-left:4px solid #2b8a3e;padding:1rem}
.overdue{color:#c92a2a;font-weight:bold}button{font-size:1rem;margin:.2rem .4rem .2rem 0;padding:.4rem 1rem}
textarea{width:100%;min-height:4rem}nav a{margin-right:1rem}.muted{color:#666}form.inline{display:inline})css";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Header(const HttpRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

std::string Cookie(const HttpRequest& r, const std::string& name) {
  const std::string all = Header(r, "cookie");
  std::size_t pos = 0;
  while (pos < all.size()) {
    std::size_t end = all.find(';', pos);
    if (end == std::string::npos) end = all.size();
    std::string part = all.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

void SecurityHeaders(HttpResponse& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

HttpResponse Html(int status, const std::string& title, const std::string& body, bool admin_nav = false) {
  HttpResponse r;
  r.status = status;
  r.body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
           "content=\"width=device-width,initial-scale=1\"><title>" +
           Esc(title) + " - tenure</title><link rel=\"stylesheet\" href=\"/static/console.css\"></head><body>" +
           (admin_nav ? "<nav><a href=\"/runs\">Runs</a><a href=\"/runs?overdue=1\">Overdue</a><a href=\"/runs?state=waiting\">Waiting</a></nav>"
                      : "") +
           body + "</body></html>\n";
  SecurityHeaders(r);
  return r;
}

HttpResponse Refused(int status, const std::string& title, const std::string& why) {
  return Html(status, title, "<h1>" + Esc(title) + "</h1><p class=\"refused\">" + Esc(why) +
                                 "</p><p class=\"muted\">Nothing was recorded.</p>");
}

HttpResponse Json(int status, const Value& v) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = v.ToJson() + "\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

HttpResponse JsonError(int status, const std::string& message) {
  Map m;
  m.Set("error", message);
  HttpResponse r = Json(status, Value(std::move(m)));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tenure\"");
  return r;
}

int StatusFor(const Error& e) {
  if (e.Is(Errc::kNotFound)) return 404;
  if (e.Is(Errc::kDenied)) return 403;
  if (e.Is(Errc::kConflict)) return 409;
  if (e.Is(Errc::kFailedPrecondition)) return 409;
  if (e.Is(Errc::kInvalidArgument)) return 400;
  return 500;
}

std::string CsrfField(const std::string& t) { return "<input type=\"hidden\" name=\"csrf\" value=\"" + Esc(t) + "\">"; }

// The form's token equals the cookie, and the Origin (when sent) is this host.
bool CsrfOk(const HttpRequest& r, const std::map<std::string, std::string>& form) {
  auto it = form.find("csrf");
  const std::string cookie = Cookie(r, "tenure_csrf");
  if (it == form.end() || cookie.empty() || !engine::SameBytes(it->second, cookie)) return false;
  const std::string origin = Header(r, "origin");
  if (!origin.empty() && origin != "null") {
    const std::string host = Header(r, "host");
    if (origin != "http://" + host && origin != "https://" + host) return false;
  }
  return true;
}

std::string Text(const Value& v, const char* key) {
  const Value* f = v.IsMap() ? v.AsMap().Find(key) : nullptr;
  return f == nullptr ? std::string() : f->ToText();
}

std::string Time(std::int64_t ms) { return ms > 0 ? FormatRfc3339(FromUnixMillis(ms)) : std::string("-"); }

// Split "/a/b/c" into {"a","b","c"} (decoded).
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(UrlDecode(path.substr(pos, end - pos), false));
    pos = end + 1;
  }
  return out;
}

std::vector<std::string> ChoicesOf(const engine::TaskRecord& row) {
  std::vector<std::string> out;
  const std::string action = Text(row.result, "_action");
  if (action == "decide") {
    const Value* c = row.result.IsMap() ? row.result.AsMap().Find("choices") : nullptr;
    if (c != nullptr && c->IsList()) {
      for (const Value& v : c->AsList()) out.push_back(v.ToText());
    }
  } else if (action == "task") {
    out = {"done"};
  } else {
    out = {"approve", "reject"};
  }
  return out;
}

bool Mentions(const engine::RunRecord& run, const std::vector<engine::TaskRecord>& rows, const std::string& person) {
  const std::string p = Lower(person);
  if (Lower(run.inputs.ToJson()).find(p) != std::string::npos) return true;
  for (const auto& r : rows) {
    if (Lower(r.decided_by) == p) return true;
    if (r.status == engine::TaskStatus::kWaiting && Lower(r.result.ToJson()).find(p) != std::string::npos) return true;
  }
  return false;
}

bool AnyOverdue(const std::vector<engine::TaskRecord>& rows, std::int64_t now_ms) {
  return std::any_of(rows.begin(), rows.end(), [&](const engine::TaskRecord& r) {
    return r.status == engine::TaskStatus::kWaiting && engine::IsOverdue(r.result, now_ms);
  });
}

Value RunJson(const engine::RunRecord& r, bool overdue) {
  Map m;
  m.Set("id", r.id);
  m.Set("playbook", r.playbook);
  m.Set("status", engine::RunStatusName(r.status));
  m.Set("trigger", r.trigger);
  m.Set("error", r.error);
  m.Set("created_at", Time(r.created_ms));
  m.Set("finished_at", r.finished_ms > 0 ? Value(Time(r.finished_ms)) : Value());
  m.Set("overdue", overdue);
  m.Set("inputs", r.inputs);
  return Value(std::move(m));
}

Value PublicResult(const Value& v) {
  if (!v.IsMap()) return v;
  Map out;
  for (const auto& [k, x] : v.AsMap()) {
    if (!k.empty() && k[0] == '_') continue;
    out.Set(k, x);
  }
  return Value(std::move(out));
}

Value TaskJson(const engine::TaskRecord& t, std::int64_t now_ms) {
  Map m;
  m.Set("task", t.task);
  m.Set("item", t.item);
  m.Set("status", engine::TaskStatusName(t.status));
  m.Set("attempts", t.attempts);
  m.Set("result", PublicResult(t.result));
  m.Set("error", t.error);
  m.Set("decided_by", t.decided_by);
  m.Set("note", t.note);
  const std::int64_t due = t.status == engine::TaskStatus::kWaiting ? engine::DueMsOf(t.result) : 0;
  m.Set("due", due > 0 ? Value(Time(due)) : Value());
  m.Set("overdue", t.status == engine::TaskStatus::kWaiting && engine::IsOverdue(t.result, now_ms));
  m.Set("started_at", t.started_ms > 0 ? Value(Time(t.started_ms)) : Value());
  m.Set("finished_at", t.finished_ms > 0 ? Value(Time(t.finished_ms)) : Value());
  return Value(std::move(m));
}

bool IsPendingDecision(const engine::TaskRecord& t) {
  return t.status == engine::TaskStatus::kWaiting && t.result.IsMap() && t.result.AsMap().Find("_action") != nullptr;
}

}  // namespace

std::string Esc(std::string_view s) { return workflows::HtmlEscape(s); }

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t end = body.find('&', pos);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view part = body.substr(pos, end - pos);
    if (!part.empty()) {
      const auto eq = part.find('=');
      const std::string k = UrlDecode(part.substr(0, eq), true);
      const std::string v = eq == std::string_view::npos ? "" : UrlDecode(part.substr(eq + 1), true);
      out.emplace(k, v);
    }
    pos = end + 1;
  }
  return out;
}

Console::Console(engine::StateStore& store, engine::Clock& clock, const engine::LinkKey& key, ConsoleOptions options,
                 std::function<void()> on_decided)
    : store_(store), clock_(clock), key_(key), options_(std::move(options)), on_decided_(std::move(on_decided)) {}

Console::Admin Console::AdminOf(const HttpRequest& r) const {
  Admin a;
  if (!options_.trusted_user_header.empty()) {
    const std::string user = Header(r, Lower(options_.trusted_user_header));
    if (!user.empty()) return Admin{true, user};
  }
  if (options_.admin_token.empty()) return a;
  const std::string auth = Header(r, "authorization");
  if (auth.rfind("Bearer ", 0) == 0 && engine::SameBytes(auth.substr(7), options_.admin_token)) return Admin{true, "admin"};
  const std::string cookie = Cookie(r, "tenure_admin");
  if (!cookie.empty() && engine::SameBytes(cookie, options_.admin_token)) return Admin{true, "admin"};
  return a;
}

HttpResponse Console::Handle(const HttpRequest& r) {
  const std::string path = r.target.substr(0, r.target.find('?'));
  const std::vector<std::string> seg = Segments(path);
  if (path == "/static/console.css") {
    HttpResponse res;
    res.content_type = "text/css";
    res.body = kCss;
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return res;
  }
  if (seg.size() == 2 && seg[0] == "d") {
    if (r.method == "GET") return DecisionPage(r, seg[1]);
    if (r.method == "POST") return DecisionPost(r, seg[1]);
    return Refused(405, "Method not allowed", "use GET or POST");
  }
  if (path == "/healthz") {
    HttpResponse res;
    res.content_type = "text/plain";
    res.body = "ok\n";
    return res;
  }
  if (path == "/login") return r.method == "POST" ? LoginPost(r) : LoginPage(r);
  const Admin admin = AdminOf(r);
  if (path == "/api/v1/runs" && r.method == "POST") return StartRun(r, admin);
  if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") {
    if (!admin.ok) return JsonError(401, "admin authentication required (Authorization: Bearer TOKEN)");
    return Api(r, path.substr(7), admin);
  }
  if (!admin.ok) {
    HttpResponse res = Html(401, "Sign in", "<h1>Sign in</h1><p>The console needs the admin token "
                                            "(<a href=\"/login\">sign in</a>) or a trusted proxy.</p>");
    return res;
  }
  if (path == "/" || path == "/runs") return RunsPage(r);
  if (seg.size() == 2 && seg[0] == "runs" && r.method == "GET") return RunPage(r, seg[1]);
  if (seg.size() == 3 && seg[0] == "runs" && seg[2] == "decide" && r.method == "POST") return RunDecidePost(r, seg[1], admin);
  if (seg.size() == 2 && seg[0] == "people") return PersonPage(r, seg[1]);
  return Refused(404, "Not found", "no page " + path);
}

HttpResponse Console::LoginPage(const HttpRequest&) {
  const std::string csrf = engine::RandomHex(16);
  HttpResponse res = Html(200, "Sign in",
             "<h1>Sign in</h1><form method=\"post\" action=\"/login\">" + CsrfField(csrf) +
                 "<p><label>Admin token <input type=\"password\" name=\"token\" autocomplete=\"off\"></label></p>"
                 "<button type=\"submit\">Sign in</button></form>");
  res.headers.emplace_back("Set-Cookie", "tenure_csrf=" + csrf + "; Path=/; HttpOnly; SameSite=Strict" +
                                             std::string(options_.secure_cookies ? "; Secure" : ""));
  return res;
}

HttpResponse Console::LoginPost(const HttpRequest& r) {
  const auto form = ParseForm(r.body);
  if (!CsrfOk(r, form)) return Refused(403, "Refused", "the form's security token is missing or wrong; reload the page");
  auto t = form.find("token");
  if (options_.admin_token.empty() || t == form.end() || !engine::SameBytes(t->second, options_.admin_token)) {
    return Refused(403, "Refused", "wrong admin token");
  }
  HttpResponse res = Html(303, "Signed in", "<p><a href=\"/runs\">Runs</a></p>");
  res.headers.emplace_back("Location", "/runs");
  res.headers.emplace_back("Set-Cookie", "tenure_admin=" + options_.admin_token + "; Path=/; HttpOnly; SameSite=Strict" +
                                             std::string(options_.secure_cookies ? "; Secure" : ""));
  return res;
}

HttpResponse Console::DecisionPage(const HttpRequest&, const std::string& token) {
  auto claims = engine::CheckLink(store_, key_, token, clock_.Now());
  if (!claims) return Refused(StatusFor(claims.error()), "This link cannot be used", claims.error().message);
  auto run = store_.GetRun(claims->run);
  auto rows = store_.GetTasks(claims->run);
  if (!run || !rows) return Refused(404, "Not found", "the run of this link is gone");
  const engine::TaskRecord* row = nullptr;
  for (const auto& t : *rows) {
    if (t.task == claims->task && t.item == claims->item) row = &t;
  }
  if (row == nullptr || row->status != engine::TaskStatus::kWaiting) {
    return Refused(409, "Already decided",
                   "this question is no longer open (it is " +
                       std::string(row == nullptr ? "gone" : engine::TaskStatusName(row->status)) +
                       (row != nullptr && !row->decided_by.empty() ? ", decided by " + row->decided_by : "") + ")");
  }
  HttpResponse res;
  const std::string csrf = engine::RandomHex(16);
  std::string body = "<h1>Decision needed</h1><p class=\"muted\">For " + Esc(claims->person) + "</p>";
  body += "<div class=\"prompt\">" + Esc(Text(row->result, "prompt")) + "</div>";
  body += "<table><tr><th>Run</th><td>" + Esc(run->id) + "</td></tr><tr><th>Playbook</th><td>" + Esc(run->playbook) +
          "</td></tr><tr><th>Task</th><td>" + Esc(row->task) +
          (row->item >= 0 ? " (item " + std::to_string(row->item) + ")" : "") + "</td></tr>";
  if (run->inputs.IsMap()) {
    for (const auto& [k, v] : run->inputs.AsMap()) {
      body += "<tr><th>" + Esc(k) + "</th><td>" + Esc(v.ToText()) + "</td></tr>";
    }
  }
  const std::int64_t due = engine::DueMsOf(row->result);
  if (due > 0) {
    const bool late = due <= engine::ToUnixMillis(clock_.Now());
    body += "<tr><th>Deadline</th><td" + std::string(late ? " class=\"overdue\"" : "") + ">" + Esc(Time(due)) +
            (late ? " (overdue)" : "") + "</td></tr>";
  }
  body += "</table><form method=\"post\" action=\"/d/" + Esc(token) + "\">" + CsrfField(csrf) +
          "<p><label>Note (optional)<br><textarea name=\"note\" maxlength=\"2000\"></textarea></label></p><p>";
  for (const std::string& c : ChoicesOf(*row)) {
    body += "<button type=\"submit\" name=\"choice\" value=\"" + Esc(c) + "\">" + Esc(c) + "</button>";
  }
  body += "</p></form><p class=\"muted\">This link works once and expires on " + Esc(Time(claims->expires_ms)) + ".</p>";
  res = Html(200, "Decision needed", body);
  res.headers.emplace_back("Set-Cookie", "tenure_csrf=" + csrf + "; Path=/; HttpOnly; SameSite=Strict" +
                                             std::string(options_.secure_cookies ? "; Secure" : ""));
  return res;
}

HttpResponse Console::DecisionPost(const HttpRequest& r, const std::string& token) {
  const auto form = ParseForm(r.body);
  if (!CsrfOk(r, form)) {
    return Refused(403, "Refused", "the form's security token is missing or wrong; open the link again");
  }
  auto claims = engine::CheckLink(store_, key_, token, clock_.Now());
  if (!claims) return Refused(StatusFor(claims.error()), "This link cannot be used", claims.error().message);
  auto choice = form.find("choice");
  if (choice == form.end() || choice->second.empty()) return Refused(400, "No answer", "choose one of the answers");
  auto note = form.find("note");
  engine::DecisionRequest q;
  q.run_id = claims->run;
  q.task = claims->task;
  if (claims->item >= 0) q.item = claims->item;
  q.kind = engine::DecisionRequest::Kind::kChoice;
  q.choice = choice->second;
  q.note = note == form.end() ? "" : note->second.substr(0, 2000);
  q.person = claims->person;
  q.via = "link";
  q.link_id = claims->id;
  auto done = engine::DecideAs(store_, q, clock_.Now());
  if (!done) {
    const bool used = done.error().Is(Errc::kConflict);
    return Refused(StatusFor(done.error()), used ? "This link cannot be used" : "Not recorded",
                   used ? "this link was already used, or the question was decided meanwhile; each link decides once"
                        : done.error().message);
  }
  if (on_decided_) on_decided_();
  return Html(200, "Recorded",
              "<h1>Thank you</h1><p class=\"ok\">Recorded: <strong>" + Esc(q.choice) + "</strong> by " + Esc(q.person) +
                  " at " + Esc(FormatRfc3339(clock_.Now())) + ". The run goes on.</p>");
}

HttpResponse Console::RunsPage(const HttpRequest& r) {
  const auto q = ParseForm(r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1));
  const auto get = [&](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::string() : it->second;
  };
  engine::RunFilter filter;
  filter.playbook = get("playbook");
  if (!get("state").empty()) {
    filter.status = engine::ParseRunStatus(get("state"));
    if (!filter.status) return Refused(400, "Bad filter", "unknown state '" + get("state") + "'");
  }
  const std::string person = get("person");
  const bool overdue_only = get("overdue") == "1";
  auto runs = store_.ListRuns(filter);
  if (!runs) return Refused(500, "Error", runs.error().message);
  const std::int64_t now_ms = engine::ToUnixMillis(clock_.Now());
  std::string body = "<h1>Runs</h1><form method=\"get\" action=\"/runs\">"
                     "<label>Playbook <input name=\"playbook\" value=\"" + Esc(filter.playbook) + "\"></label> "
                     "<label>Person <input name=\"person\" value=\"" + Esc(person) + "\"></label> "
                     "<label>State <input name=\"state\" value=\"" + Esc(get("state")) + "\"></label> "
                     "<label><input type=\"checkbox\" name=\"overdue\" value=\"1\"" + (overdue_only ? " checked" : "") +
                     "> overdue</label> <button type=\"submit\">Filter</button></form>"
                     "<table><tr><th>Run</th><th>Playbook</th><th>State</th><th>Created</th><th></th></tr>";
  int shown = 0;
  for (auto it = runs->rbegin(); it != runs->rend() && shown < 500; ++it) {
    std::vector<engine::TaskRecord> rows;
    if (overdue_only || !person.empty() || it->status == engine::RunStatus::kWaiting) {
      auto t = store_.GetTasks(it->id);
      if (t) rows = std::move(*t);
    }
    const bool overdue = AnyOverdue(rows, now_ms);
    if (overdue_only && !overdue) continue;
    if (!person.empty() && !Mentions(*it, rows, person)) continue;
    ++shown;
    body += "<tr><td><a href=\"/runs/" + Esc(UrlEncode(it->id)) + "\">" + Esc(it->id) + "</a></td><td>" +
            Esc(it->playbook) + "</td><td>" + Esc(engine::RunStatusName(it->status)) + "</td><td>" +
            Esc(Time(it->created_ms)) + "</td><td>" + (overdue ? "<span class=\"overdue\">overdue</span>" : "") +
            "</td></tr>";
  }
  body += "</table><p class=\"muted\">" + std::to_string(shown) + " runs</p>";
  return Html(200, "Runs", body, true);
}

HttpResponse Console::RunPage(const HttpRequest&, const std::string& id) {
  auto run = store_.GetRun(id);
  if (!run) return Refused(404, "Not found", run.error().message);
  auto rows = store_.GetTasks(id);
  auto events = store_.GetEvents(id);
  if (!rows || !events) return Refused(500, "Error", "cannot read the run");
  const std::int64_t now_ms = engine::ToUnixMillis(clock_.Now());
  HttpResponse res;
  const std::string csrf = engine::RandomHex(16);
  std::string body = "<h1>Run " + Esc(run->id) + "</h1><p>" + Esc(run->playbook) + " &middot; <strong>" +
                     Esc(engine::RunStatusName(run->status)) + "</strong>" +
                     (run->error.empty() ? "" : " &middot; " + Esc(run->error)) + "</p>";
  body += "<h2>Pending decisions</h2>";
  bool any = false;
  for (const auto& t : *rows) {
    if (!IsPendingDecision(t)) continue;
    any = true;
    const bool late = engine::IsOverdue(t.result, now_ms);
    body += "<div class=\"prompt\">" + Esc(Text(t.result, "prompt")) + "</div><p>" + Esc(t.task) +
            (t.item >= 0 ? " item " + std::to_string(t.item) : "") + "; approvers: " + Esc(Text(t.result, "approvers")) +
            "; due " + Esc(Time(engine::DueMsOf(t.result))) + (late ? " <span class=\"overdue\">overdue</span>" : "") +
            "</p><form method=\"post\" action=\"/runs/" + Esc(UrlEncode(run->id)) + "/decide\">" + CsrfField(csrf) +
            "<input type=\"hidden\" name=\"task\" value=\"" + Esc(t.task) + "\"><input type=\"hidden\" name=\"item\" value=\"" +
            std::to_string(t.item) + "\"><label>As (e-mail) <input name=\"as\"></label> <label>Note <input name=\"note\"></label> ";
    for (const std::string& c : ChoicesOf(t)) {
      body += "<button type=\"submit\" name=\"choice\" value=\"" + Esc(c) + "\">" + Esc(c) + "</button>";
    }
    body += "</form>";
  }
  if (!any) body += "<p class=\"muted\">none</p>";
  body += "<h2>Tasks</h2><table><tr><th>Task</th><th>State</th><th>Decided by</th><th>Due</th><th>Error</th></tr>";
  for (const auto& t : *rows) {
    const bool late = t.status == engine::TaskStatus::kWaiting && engine::IsOverdue(t.result, now_ms);
    const std::int64_t due = t.status == engine::TaskStatus::kWaiting ? engine::DueMsOf(t.result) : 0;
    body += "<tr><td>" + Esc(t.task) + (t.item >= 0 ? " [" + std::to_string(t.item) + "]" : "") + "</td><td>" +
            Esc(engine::TaskStatusName(t.status)) + "</td><td>" + Esc(t.decided_by) +
            (t.note.empty() ? "" : ": " + Esc(t.note)) + "</td><td" + (late ? " class=\"overdue\"" : "") + ">" +
            (due > 0 ? Esc(Time(due)) + (late ? " (overdue)" : "") : "") + "</td><td>" + Esc(t.error) + "</td></tr>";
  }
  body += "</table><h2>Timeline</h2><table><tr><th>When</th><th>Task</th><th>Event</th><th>Detail</th></tr>";
  for (const auto& e : *events) {
    body += "<tr><td>" + Esc(Time(e.at_ms)) + "</td><td>" + Esc(e.task) +
            (e.item >= 0 ? " [" + std::to_string(e.item) + "]" : "") + "</td><td>" + Esc(e.kind) + "</td><td>" +
            Esc(e.detail) + "</td></tr>";
  }
  body += "</table>";
  res = Html(200, "Run " + run->id, body, true);
  res.headers.emplace_back("Set-Cookie", "tenure_csrf=" + csrf + "; Path=/; HttpOnly; SameSite=Strict" +
                                             std::string(options_.secure_cookies ? "; Secure" : ""));
  return res;
}

HttpResponse Console::RunDecidePost(const HttpRequest& r, const std::string& id, const Admin& admin) {
  const auto form = ParseForm(r.body);
  if (!CsrfOk(r, form)) return Refused(403, "Refused", "the form's security token is missing or wrong; reload the page");
  const auto get = [&](const char* k) {
    auto it = form.find(k);
    return it == form.end() ? std::string() : it->second;
  };
  engine::DecisionRequest q;
  q.run_id = id;
  q.task = get("task");
  const int item = std::atoi(get("item").c_str());
  if (item >= 0) q.item = item;
  q.kind = engine::DecisionRequest::Kind::kChoice;
  q.choice = get("choice");
  q.note = get("note");
  q.person = get("as").empty() ? admin.who : get("as");
  q.via = "console:" + admin.who;
  q.admin = true;
  auto done = engine::DecideAs(store_, q, clock_.Now());
  if (!done) return Refused(StatusFor(done.error()), "Not recorded", done.error().message);
  if (on_decided_) on_decided_();
  HttpResponse res = Html(303, "Recorded", "<p><a href=\"/runs/" + Esc(UrlEncode(id)) + "\">back</a></p>");
  res.headers.emplace_back("Location", "/runs/" + UrlEncode(id));
  return res;
}

HttpResponse Console::PersonPage(const HttpRequest&, const std::string& person) {
  auto runs = store_.ListRuns({});
  if (!runs) return Refused(500, "Error", runs.error().message);
  std::string body = "<h1>" + Esc(person) + "</h1><h2>Runs about or decided by this person</h2><table>"
                     "<tr><th>Run</th><th>Playbook</th><th>State</th><th>Created</th></tr>";
  std::string decisions;
  std::string actions;
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    auto rows = store_.GetTasks(it->id);
    if (!rows || !Mentions(*it, *rows, person)) continue;
    body += "<tr><td><a href=\"/runs/" + Esc(UrlEncode(it->id)) + "\">" + Esc(it->id) + "</a></td><td>" +
            Esc(it->playbook) + "</td><td>" + Esc(engine::RunStatusName(it->status)) + "</td><td>" +
            Esc(Time(it->created_ms)) + "</td></tr>";
    for (const auto& t : *rows) {
      if (Lower(t.decided_by) == Lower(person)) {
        decisions += "<tr><td>" + Esc(Time(t.finished_ms)) + "</td><td>" + Esc(it->id) + "</td><td>" + Esc(t.task) +
                     "</td><td>" + Esc(Text(t.result, "choice").empty() ? engine::TaskStatusName(t.status) : Text(t.result, "choice")) +
                     "</td><td>" + Esc(t.note) + "</td></tr>";
      } else if (Lower(it->inputs.ToJson()).find(Lower(person)) != std::string::npos && t.item < 0 &&
                 t.status == engine::TaskStatus::kSucceeded && t.decided_by.empty()) {
        actions += "<tr><td>" + Esc(Time(t.finished_ms)) + "</td><td>" + Esc(it->id) + "</td><td>" + Esc(t.task) +
                   "</td><td>" + Esc(it->trigger) + "</td></tr>";
      }
    }
  }
  body += "</table><h2>What was done (granted, removed)</h2><table><tr><th>When</th><th>Run</th><th>Task</th><th>By</th></tr>" +
          actions + "</table><h2>Decisions by this person</h2><table><tr><th>When</th><th>Run</th><th>Task</th><th>Answer</th><th>Note</th></tr>" +
          decisions + "</table>";
  return Html(200, person, body, true);
}

// POST /api/v1/runs {playbook, inputs, key}: an HR system starts a run. A caller token (or an
// admin) is required; the playbook is a name from the daemon's allowed directory, never a path.
HttpResponse Console::StartRun(const HttpRequest& r, const Admin& admin) {
  std::string caller = admin.ok ? admin.who : "";
  const std::string auth = Header(r, "authorization");
  if (caller.empty() && auth.rfind("Bearer ", 0) == 0) {
    const std::string token = auth.substr(7);
    for (const auto& [known, name] : options_.caller_tokens) {
      if (engine::SameBytes(token, known)) caller = name;
    }
  }
  if (caller.empty()) return JsonError(401, "a caller token is required (Authorization: Bearer TOKEN)");
  if (!options_.start_run) return JsonError(404, "starting runs over the API is off (tenure daemon --playbooks DIR)");
  boost::system::error_code ec;
  auto j = boost::json::parse(r.body, ec);
  if (ec || !j.is_object()) return JsonError(400, "expected a JSON object {playbook, inputs, key}");
  const Value body = FromJsonValue(j);
  const std::string playbook = Text(body, "playbook");
  const Value* inputs = body.AsMap().Find("inputs");
  if (playbook.empty()) return JsonError(400, "`playbook` is required");
  if (inputs != nullptr && !inputs->IsMap() && !inputs->IsNull()) return JsonError(400, "`inputs` must be an object");
  auto started = options_.start_run(playbook, inputs != nullptr && inputs->IsMap() ? inputs->AsMap() : Map(),
                                    Text(body, "key"), caller);
  if (!started) return JsonError(StatusFor(started.error()), started.error().message);
  if (on_decided_) on_decided_();  // the daemon looks for the new run now
  const Value* created = started->IsMap() ? started->AsMap().Find("created") : nullptr;
  return Json(created != nullptr && created->IsBool() && created->AsBool() ? 201 : 200, *started);
}

HttpResponse Console::Api(const HttpRequest& r, const std::string& path, const Admin& admin) {
  const std::vector<std::string> seg = Segments(path);
  const std::int64_t now_ms = engine::ToUnixMillis(clock_.Now());
  if (seg.size() == 1 && seg[0] == "runs" && r.method == "GET") {
    const auto q = ParseForm(r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1));
    engine::RunFilter filter;
    if (auto it = q.find("playbook"); it != q.end()) filter.playbook = it->second;
    if (auto it = q.find("state"); it != q.end()) {
      filter.status = engine::ParseRunStatus(it->second);
      if (!filter.status) return JsonError(400, "unknown state '" + it->second + "'");
    }
    const bool overdue_only = q.count("overdue") && q.at("overdue") == "1";
    const std::string person = q.count("person") ? q.at("person") : "";
    auto runs = store_.ListRuns(filter);
    if (!runs) return JsonError(500, runs.error().message);
    List out;
    for (const auto& run : *runs) {
      std::vector<engine::TaskRecord> rows;
      if (auto t = store_.GetTasks(run.id); t) rows = std::move(*t);
      const bool overdue = AnyOverdue(rows, now_ms);
      if (overdue_only && !overdue) continue;
      if (!person.empty() && !Mentions(run, rows, person)) continue;
      out.push_back(RunJson(run, overdue));
    }
    Map m;
    m.Set("runs", Value(std::move(out)));
    return Json(200, Value(std::move(m)));
  }
  if (seg.size() >= 2 && seg[0] == "runs") {
    auto run = store_.GetRun(seg[1]);
    if (!run) return JsonError(404, run.error().message);
    auto rows = store_.GetTasks(seg[1]);
    if (!rows) return JsonError(500, rows.error().message);
    if (seg.size() == 2 && r.method == "GET") {
      Value v = RunJson(*run, AnyOverdue(*rows, now_ms));
      List tasks;
      for (const auto& t : *rows) tasks.push_back(TaskJson(t, now_ms));
      v.AsMap().Set("tasks", Value(std::move(tasks)));
      List events;
      if (auto ev = store_.GetEvents(seg[1]); ev) {
        for (const auto& e : *ev) {
          Map m;
          m.Set("at", Time(e.at_ms));
          m.Set("task", e.task);
          m.Set("item", e.item);
          m.Set("kind", e.kind);
          m.Set("detail", e.detail);
          events.push_back(Value(std::move(m)));
        }
      }
      v.AsMap().Set("events", Value(std::move(events)));
      return Json(200, v);
    }
    if (seg.size() == 3 && seg[2] == "decisions" && r.method == "GET") {
      List out;
      for (const auto& t : *rows) {
        if (!IsPendingDecision(t)) continue;
        Value v = TaskJson(t, now_ms);
        v.AsMap().Set("prompt", Text(t.result, "prompt"));
        List choices;
        for (const auto& c : ChoicesOf(t)) choices.push_back(Value(c));
        v.AsMap().Set("choices", Value(std::move(choices)));
        const Value* approvers = t.result.AsMap().Find("approvers");
        v.AsMap().Set("approvers", approvers != nullptr ? *approvers : Value());
        out.push_back(std::move(v));
      }
      Map m;
      m.Set("decisions", Value(std::move(out)));
      return Json(200, Value(std::move(m)));
    }
    if (seg.size() == 3 && seg[2] == "decisions" && r.method == "POST") {
      boost::system::error_code ec;
      auto j = boost::json::parse(r.body, ec);
      if (ec || !j.is_object()) return JsonError(400, "expected a JSON object {task, item?, choice, note?, as?}");
      const Value body = FromJsonValue(j);
      engine::DecisionRequest q;
      q.run_id = seg[1];
      q.task = Text(body, "task");
      if (const Value* item = body.AsMap().Find("item"); item != nullptr && item->IsInt() && item->AsInt() >= 0) {
        q.item = static_cast<int>(item->AsInt());
      }
      q.kind = engine::DecisionRequest::Kind::kChoice;
      q.choice = Text(body, "choice");
      q.note = Text(body, "note");
      q.person = Text(body, "as").empty() ? admin.who : Text(body, "as");
      q.via = "api:" + admin.who;
      q.admin = true;
      if (q.task.empty() || q.choice.empty()) return JsonError(400, "`task` and `choice` are required");
      auto done = engine::DecideAs(store_, q, clock_.Now());
      if (!done) return JsonError(StatusFor(done.error()), done.error().message);
      if (on_decided_) on_decided_();
      Map m;
      m.Set("recorded", true);
      m.Set("decided_by", q.person);
      return Json(200, Value(std::move(m)));
    }
  }
  if (seg.size() == 1 && seg[0] == "schedules" && r.method == "GET") {
    auto list = store_.ListSchedules(false);
    if (!list) return JsonError(500, list.error().message);
    List out;
    for (const auto& s : *list) {
      Map m;
      m.Set("id", s.id);
      m.Set("key", s.key);
      m.Set("playbook", s.playbook);
      m.Set("status", engine::ScheduleStatusName(s.status));
      m.Set("cron", s.cron);
      m.Set("at", s.at);
      m.Set("time_zone", s.time_zone);
      m.Set("next", s.next_ms > 0 ? Value(Time(s.next_ms)) : Value());
      m.Set("last_run", s.last_run);
      out.push_back(Value(std::move(m)));
    }
    Map m;
    m.Set("schedules", Value(std::move(out)));
    return Json(200, Value(std::move(m)));
  }
  return JsonError(404, "no API endpoint " + r.method + " /api/v1" + path);
}

}  // namespace tenure::console
