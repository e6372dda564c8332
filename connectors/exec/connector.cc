#include "connectors/exec/connector.h"

#include <cstdlib>
#include <exception>

#include "connectors/http_support.h"
#include "workflows/loader.h"

namespace tenure::connectors::exec {
namespace {

using boost::asio::awaitable;
constexpr std::size_t kExcerpt = 300;
constexpr const char* kInherited[] = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME"};

bool ValidEnvName(std::string_view n) {
  return !n.empty() && n.find_first_of("=") == std::string_view::npos && n.find('\0') == std::string_view::npos;
}

Result<std::vector<std::string>> Argv(const Map& args) {
  const Value* argv = args.Find("argv");
  if (argv == nullptr || !argv->IsList() || argv->AsList().empty()) {
    return Error::InvalidArgument("`argv` must be a non-empty list");
  }
  std::vector<std::string> out;
  for (const Value& v : argv->AsList()) {
    if (v.IsList() || v.IsMap() || v.IsNull()) return Error::InvalidArgument("argv items must be strings");
    std::string s = v.ToText();
    if (s.find('\0') != std::string::npos) return Error::InvalidArgument("argv items cannot contain NUL");
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::string>> Environment(const Map& config_env, const Map& args, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> vars;
  auto set = [&](const std::string& k, std::string v) {
    for (auto& [name, value] : vars) {
      if (name == k) {
        value = std::move(v);
        return;
      }
    }
    vars.emplace_back(k, std::move(v));
  };
  for (const char* name : kInherited) {
    if (const char* v = std::getenv(name)) set(name, v);
  }
  const Value* action_env = args.Find("env");
  for (const Map* env : {&config_env, action_env != nullptr && action_env->IsMap() ? &action_env->AsMap() : nullptr}) {
    if (env == nullptr) continue;
    for (const auto& [k, v] : *env) {
      std::string text = v.ToText();
      if (!ValidEnvName(k) || text.find('\0') != std::string::npos) {
        return Error::InvalidArgument("env: invalid variable " + k);
      }
      set(k, std::move(text));
    }
  }
  set("TENURE_IDEMPOTENCY_KEY", key);
  std::vector<std::string> out;
  for (auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

Result<std::chrono::milliseconds> Timeout(const Map& args, std::chrono::milliseconds fallback) {
  const Value* t = args.Find("timeout");
  if (t == nullptr || t->IsNull()) return fallback;
  if (t->IsInt() && t->AsInt() > 0) return std::chrono::milliseconds(t->AsInt() * 1000);  // seconds
  if (t->IsString()) {
    auto d = workflows::ParseDuration(t->AsString());
    if (d && d->count() > 0) return *d;
  }
  return Error::InvalidArgument("timeout must be a duration such as 30s");
}

class ExecConnector final : public Connector {
 public:
  ExecConnector(ExecConfig config, ProcessRunner& runner, const Redactor& redactor)
      : config_(std::move(config)), runner_(runner), redactor_(redactor) {}

  awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override {
    if (action.name != "run") {
      co_return RedactOutcome(Fail(FailureClass::kPermanent, "exec: unknown action '" + action.name + "'"), redactor_);
    }
    std::string what = "exec run";
    awaitable<Outcome> op = Run(action.args, ctx);
    co_return co_await Guarded(std::move(op), std::move(what), redactor_);
  }

 private:
  Result<ProcessSpec> Build(const Map& args, const Context& ctx) {
    ProcessSpec spec;
    auto argv = Argv(args);
    if (!argv) return argv.error();
    auto env = Environment(config_.env, args, ctx.idempotency_key);
    if (!env) return env.error();
    auto timeout = Timeout(args, config_.default_timeout);
    if (!timeout) return timeout.error();
    spec.argv = std::move(*argv);
    spec.env = std::move(*env);
    spec.timeout = std::min(*timeout, TimeLeft(ctx));
    spec.cwd = args.Contains("cwd") ? args.Find("cwd")->ToText() : config_.cwd;
    if (const Value* in = args.Find("stdin")) spec.stdin_data = in->ToJson();
    return spec;
  }

  awaitable<Outcome> Run(const Map& args, const Context& ctx) {
    auto spec = Build(args, ctx);
    if (!spec) co_return Fail(FailureClass::kPermanent, "exec run: " + spec.error().message);
    std::string program = spec->argv[0];
    auto result = co_await runner_.Run(std::move(*spec));
    if (!result) co_return Fail(FailureClass::kPermanent, "exec run: " + result.error().message);
    co_return Classify(program, *result);
  }

  Outcome Classify(const std::string& program, const ProcessResult& r) const {
    std::string what = "exec " + program;
    if (r.timed_out) return Unknown{what + ": timed out; the process group was killed"};
    if (r.cancelled) return Unknown{what + ": cancelled while running; the process group was killed"};
    if (r.term_signal != 0) {
      return Unknown{what + ": killed by signal " + std::to_string(r.term_signal) + StderrTail(r)};
    }
    std::string code = "exit " + std::to_string(r.exit_code);
    if (r.exit_code == 75 || r.exit_code == 69) {
      return RetryLater{
          std::chrono::milliseconds(0),
          Failure{FailureClass::kTransient, what + ": temporary failure (" + code + ")" + StderrTail(r), 0, code}};
    }
    if (r.exit_code != 0)
      return Fail(FailureClass::kPermanent, what + ": failed (" + code + ")" + StderrTail(r), 0, code);
    if (r.out_truncated) return Fail(FailureClass::kPermanent, what + ": output exceeds the size cap", 0, code);
    if (r.out.find_first_not_of(" \t\r\n") == std::string::npos) return Succeeded{Map{}};
    std::optional<Value> json = ParseJsonBody(r.out);
    if (!json) {
      return Fail(FailureClass::kPermanent,
                  what + ": stdout is not JSON: " + redactor_.Redact(Excerpt(r.out, kExcerpt)), 0, code);
    }
    if (json->IsMap()) return Succeeded{std::move(*json)};
    return Succeeded{MakeMap({{"value", std::move(*json)}})};
  }

  std::string StderrTail(const ProcessResult& r) const {
    // The program's last line ends with a newline (`echo msg >&2`): not part of the message.
    const std::size_t end = r.err.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) return "";
    return ": " + redactor_.Redact(Excerpt(r.err.substr(0, end + 1), kExcerpt));
  }

  ExecConfig config_;
  ProcessRunner& runner_;
  const Redactor& redactor_;
};

}  // namespace

Result<ExecConfig> ParseExecConfig(const Map& config) {
  ExecConfig c;
  if (const Value* cwd = config.Find("cwd")) c.cwd = cwd->ToText();
  if (const Value* env = config.Find("env")) {
    if (!env->IsMap()) return Error::InvalidArgument("exec: env must be a mapping");
    c.env = env->AsMap();
  }
  return c;
}

std::unique_ptr<Connector> MakeExecConnector(ExecConfig config, ProcessRunner& runner, const Redactor& redactor) {
  return std::make_unique<ExecConnector>(std::move(config), runner, redactor);
}

}  // namespace tenure::connectors::exec
