// The attempts of one row: connector calls (limits, timeout, retries), approvals, timers,
// compensation, and the commit helpers every transition goes through.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <map>
#include <variant>

#include "engine/arg_checks.h"
#include "engine/run_execution.h"
#include "engine/timer.h"
#include "workflows/loader.h"
#include "workflows/render.h"

namespace tenure::engine {
namespace {

using boost::asio::awaitable;
using workflows::TaskId;

std::string FormatFailure(const connectors::Failure& f) {
  if (f.http_status == 0) return f.message;
  // A message that already names the status (the HTTP classifier's "HTTP 404 Not Found: ...")
  // is not prefixed twice.
  const std::string prefix = "HTTP " + std::to_string(f.http_status);
  if (f.message.rfind(prefix, 0) == 0) return f.message;
  return prefix + ": " + f.message;
}

// What an attempt's outcome means for its row. std::visit over every alternative: a new kind of
// Outcome does not compile until it is decided here.
struct Verdict {
  enum Kind { kSucceeded, kFailed, kRetry };
  Kind kind = kRetry;
  std::string why;
  Value result;
  std::chrono::milliseconds retry_after{0};  // RetryLater's Retry-After, a floor for the backoff
};

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

Verdict Judge(connectors::Outcome& outcome) {
  return std::visit(
      Overloaded{
          [](connectors::Succeeded& ok) { return Verdict{Verdict::kSucceeded, "", std::move(ok.result), {}}; },
          [](connectors::Failed& f) { return Verdict{Verdict::kFailed, FormatFailure(f.failure), Value(), {}}; },
          [](connectors::RetryLater& l) { return Verdict{Verdict::kRetry, FormatFailure(l.failure), Value(), l.after}; },
          [](connectors::Unknown& u) { return Verdict{Verdict::kRetry, "outcome unknown: " + u.why, Value(), {}}; },
      },
      outcome);
}

// How a value reads in a read-back error: text as is, anything else as JSON.
std::string Shown(const Value* v) {
  if (v == nullptr) return "(absent)";
  return v->IsString() ? v->AsString() : v->ToJson();
}

// "expected active=false, read back active=true" for each key of `expected` that `seen` holds
// differently; "" when they agree (docs/proof.md).
std::string Disagreement(const Value& observation) {
  const Map* o = observation.IsMap() ? &observation.AsMap() : nullptr;
  const Value* expected = o != nullptr ? o->Find("expected") : nullptr;
  const Value* seen = o != nullptr ? o->Find("seen") : nullptr;
  if (expected == nullptr || !expected->IsMap() || seen == nullptr || !seen->IsMap()) {
    return "the connector's read-back holds no {expected, seen}";
  }
  std::string out;
  for (const auto& [key, want] : expected->AsMap()) {
    const Value* got = seen->AsMap().Find(key);
    if (got != nullptr && *got == want) continue;
    if (!out.empty()) out += "; ";
    out += "expected " + key + "=" + Shown(&want) + ", read back " + key + "=" + Shown(got);
  }
  return out;
}

// What a row keeps of its record when an attempt ends without a result of its own: the pre-state
// read before it acted (so a failed removal can still be restored), else nothing.
Value Recorded(const TaskRecord& row) {
  if (!row.result.IsMap() || !row.result.AsMap().Contains("pre_state")) return Value();
  Map kept;
  for (const char* key : {"pre_state", "pre_state_error"}) {
    if (const Value* v = row.result.AsMap().Find(key)) kept.Set(key, *v);
  }
  return Value(std::move(kept));
}

// The action's result with the row's record (pre-state) added.
Value WithRecord(Value result, const TaskRecord& row) {
  Value kept = Recorded(row);
  if (!kept.IsMap() || !result.IsMap()) return result;
  for (const auto& [key, v] : kept.AsMap()) result.AsMap().Set(key, v);
  return result;
}

std::string AttemptText(int attempt, const workflows::RetrySpec& retry) {
  return "attempt " + std::to_string(attempt) + " of " + std::to_string(retry.attempts);
}

}  // namespace

awaitable<TaskStatus> RunExecution::RunStep(Step step) {
  const workflows::ConnectionSpec* conn = pb_->FindConnection(step.call->connection);
  if (conn != nullptr && conn->builtin && conn->connector == "manual") co_return co_await RunManual(step);
  if (conn != nullptr && conn->builtin && conn->connector == "timer") co_return co_await RunTimer(step);
  auto args = workflows::RenderNode(step.call->with, ScopeOf(step), step.path);
  if (!args) {
    co_return EndRow(Row(step.row, step.item), TaskStatus::kFailed, args.error().message, Value(), "failed",
                     args.error().message);
  }
  // Not a conditional inside the co_await: GCC 12 destroys its temporary twice.
  Map with;
  if (args->IsMap()) with = std::move(args->AsMap());
  if (step.spec->until && !step.result) co_return co_await RunPolling(step, std::move(with));
  co_return co_await RunConnector(step, std::move(with));
}

// Each poll is one RunConnector (its attempts and retries journaled as usual), then an
// `until_not_met` event and the next poll's time in the row's due_ms, committed before waiting: a
// process that stops between polls resumes by waiting for that due time (or, when it has passed,
// polling at once); the daemon wakes a parked run at it like a timer's. The timeout counts from
// the first poll (started_ms), so a restart does not extend it.
awaitable<TaskStatus> RunExecution::RunPolling(Step& step, Map args) {
  using namespace boost::asio::experimental::awaitable_operators;
  const workflows::UntilSpec& until = *step.spec->until;
  TaskRecord& row = Row(step.row, step.item);
  // Between polls the row's result is {polls, last}: the count survives a restart.
  const Value* stored = row.result.IsMap() ? row.result.AsMap().Find("polls") : nullptr;
  int polls = stored != nullptr && stored->IsInt() ? static_cast<int>(stored->AsInt()) : 0;
  for (;;) {
    if (row.due_ms > 0) {
      const SystemTime due = FromUnixMillis(row.due_ms);
      if (due > services_.clock.Now()) {
        if (due - services_.clock.Now() > options_.max_timer_hold) {
          if (row.status != TaskStatus::kWaiting) {
            row.status = TaskStatus::kWaiting;
            co_await CommitRow(row, std::nullopt);
          }
          co_return TaskStatus::kWaiting;  // parked: resumed at the due time, like a timer
        }
        auto r = co_await (services_.clock.SleepUntil(services_.clock.SteadyAt(due)) || cancel_.Wait());
        if (r.index() == 1 || cancelled_) {
          co_return EndRow(row, TaskStatus::kCancelled, "cancelled while waiting to poll", Value(), "cancelled",
                           "cancelled while waiting to poll");
        }
      }
    }
    Value result;
    const TaskStatus s = co_await RunConnector(step, args, &result);
    if (s != TaskStatus::kSucceeded) co_return s;  // failed, cancelled or halted: the row is ended
    auto holds = workflows::RenderNode(until.condition, StepScope(*this, step.spec->include,
                                                                   step.item_value ? &*step.item_value : nullptr,
                                                                   step.item, &result),
                                       "tasks." + step.spec->id + ".until.condition");
    if (!holds) co_return EndRow(row, TaskStatus::kFailed, holds.error().message, Value(), "failed", holds.error().message);
    ++polls;
    if (holds->Truthy()) {
      co_return EndRow(row, TaskStatus::kSucceeded, "", std::move(result), "succeeded",
                       "until met on poll " + std::to_string(polls));
    }
    const SystemTime now = services_.clock.Now();
    const SystemTime deadline = FromUnixMillis(row.started_ms) + until.timeout;
    if (now + until.interval > deadline) {
      const std::string why = "until not met after " + std::to_string(polls) + (polls == 1 ? " poll" : " polls") +
                              " in " + workflows::FormatDuration(until.timeout) + ": " + until.condition.scalar +
                              "; last result " + result.ToJson().substr(0, 200);
      co_return EndRow(row, TaskStatus::kFailed, why, std::move(result), "failed", why);
    }
    row.due_ms = ToUnixMillis(now + until.interval);
    row.status = TaskStatus::kWaiting;
    Map progress;
    progress.Set("polls", polls);
    progress.Set("last", std::move(result));
    row.result = Value(std::move(progress));
    if (!co_await CommitRowWith(row, [&] {
          return Event(step.row, step.item, row.attempts, "until_not_met",
                       "poll " + std::to_string(polls) + ": " + until.condition.scalar + " is false; next poll at " +
                           FormatRfc3339(FromUnixMillis(row.due_ms)));
        })) {
      co_return TaskStatus::kWaiting;
    }
  }
}

awaitable<TaskStatus> RunExecution::RunManual(Step& step) {
  TaskRecord& row = Row(step.row, step.item);
  if (row.status == TaskStatus::kWaiting) co_return co_await WhileWaiting(step);  // undecided: chase people
  auto args = workflows::RenderNode(step.call->with, ScopeOf(step), step.path);
  if (!args) co_return EndRow(row, TaskStatus::kFailed, args.error().message, Value(), "failed", args.error().message);
  if (auto bad = CheckApprovers(*args, step.path); !bad.empty()) {
    co_return EndRow(row, TaskStatus::kFailed, bad, Value(), "failed", bad);
  }
  const Value* prompt = args->IsMap() ? args->AsMap().Find("prompt") : nullptr;
  row.status = TaskStatus::kWaiting;
  if (row.started_ms == 0) row.started_ms = ToUnixMillis(services_.clock.Now());
  row.result = *args;
  if (auto bad = ParkPeople(step, row); !bad.empty()) {  // deadline, reminders, escalation, choices
    co_return EndRow(row, TaskStatus::kFailed, bad, Value(), "failed", bad);
  }
  const bool decide = step.call->action == "decide";
  const std::string detail = (step.call->action == "approve" ? "waiting for approval: "
                              : decide                       ? "waiting for a decision: "
                                                             : "waiting for a person: ") +
                             (prompt != nullptr ? prompt->ToText() : std::string()) +
                             (decide ? " (tenure decide " + run_.id + " " + step.row + " --choice ...)"
                                     : " (tenure approve " + run_.id + " " + step.row + ")");
  co_await CommitRow(row, Event(step.row, step.item, 0, "waiting", detail));
  co_return co_await WhileWaiting(step);  // the first notices, when the task names a `notify` connection
}

awaitable<TaskStatus> RunExecution::RunTimer(Step& step) {
  using namespace boost::asio::experimental::awaitable_operators;
  TaskRecord& row = Row(step.row, step.item);
  const SystemTime now = services_.clock.Now();
  if (row.due_ms == 0) {
    auto args = workflows::RenderNode(step.call->with, ScopeOf(step), step.path);
    Result<SystemTime> due = args ? TimerDue(args->IsMap() ? args->AsMap() : Map(), now) : Result<SystemTime>(args.error());
    if (!due) co_return EndRow(row, TaskStatus::kFailed, due.error().message, Value(), "failed", due.error().message);
    row.due_ms = std::max<std::int64_t>(ToUnixMillis(*due), 1);
    row.status = TaskStatus::kWaiting;
    row.started_ms = ToUnixMillis(now);
    if (!co_await CommitRow(row, Event(step.row, step.item, 0, "waiting",
                                       "timer: waiting until " + FormatRfc3339(FromUnixMillis(row.due_ms))))) {
      co_return TaskStatus::kWaiting;
    }
  }
  const SystemTime due = FromUnixMillis(row.due_ms);
  if (due > services_.clock.Now()) {
    if (due - services_.clock.Now() > options_.max_timer_hold) {
      if (row.status != TaskStatus::kWaiting) {
        row.status = TaskStatus::kWaiting;
        co_await CommitRow(row, std::nullopt);
      }
      co_return TaskStatus::kWaiting;  // parked: `tenure resume` after the due time continues it
    }
    auto r = co_await (services_.clock.SleepUntil(services_.clock.SteadyAt(due)) || cancel_.Wait());
    if (r.index() == 1 || cancelled_) {
      co_return EndRow(row, TaskStatus::kCancelled, "cancelled while waiting for its timer", Value(),
                       "cancelled", "cancelled while waiting for its timer");
    }
  }
  Map result;
  result.Set("fired_at", FormatRfc3339(services_.clock.Now()));
  co_return EndRow(row, TaskStatus::kSucceeded, "", Value(std::move(result)), "succeeded", "timer fired");
}

awaitable<std::pair<RunExecution::Ended, connectors::Outcome>> RunExecution::Race(
    awaitable<connectors::Outcome> op, workflows::Duration timeout) {
  namespace asio = boost::asio;
  const SteadyTime deadline = services_.clock.SteadyNow() + timeout;
  const asio::any_io_executor io = co_await asio::this_coro::executor;
  std::string thrown;
  try {
    // One group of three, not `a || b || c`: each `||` keeps a coroutine frame and a group of its
    // own for as long as the call is in flight, and 10,000 runs may be (benchmark 3). The first to
    // complete wins and the others are cancelled; the group completes when all have.
    auto r = co_await asio::experimental::make_parallel_group(
                 asio::co_spawn(io, std::move(op), asio::deferred),
                 asio::co_spawn(io, services_.clock.SleepUntil(deadline), asio::deferred),
                 asio::co_spawn(io, cancel_.Wait(), asio::deferred))
                 .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    const std::size_t first = std::get<0>(r)[0];
    if (first == 0) {
      if (std::get<1>(r)) std::rethrow_exception(std::get<1>(r));
      co_return std::pair{Ended::kOutcome, std::move(std::get<2>(r))};
    }
    co_return std::pair{first == 1 ? Ended::kTimeout : Ended::kCancelled, connectors::Outcome{}};
  } catch (const std::exception& e) {
    thrown = e.what();
  }
  co_return std::pair{Ended::kOutcome, connectors::Outcome{connectors::Unknown{"connector error: " + thrown}}};
}

double RunExecution::RateOf(const workflows::ConnectionSpec& conn) const {
  // A connection without `rate` gets its connector's published default (google: 2400/min).
  double rate = conn.rate_per_second;
  if (const workflows::ConnectorSpec* spec = services_.catalog.Find(conn.connector); rate <= 0 && spec != nullptr) {
    rate = spec->default_rate_per_second;
  }
  return rate;
}

awaitable<std::string> RunExecution::ReadBack(const Step& step, const workflows::ConnectionSpec& conn,
                                              connectors::Connector& c, const connectors::Action& action,
                                              const connectors::Context& ctx, workflows::Duration timeout,
                                              Value& result) {
  using namespace boost::asio::experimental::awaitable_operators;
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    std::variant<Permit, std::monostate> slot =
        co_await (services_.limiter.Acquire(conn.name, {RateOf(conn), conn.max_in_flight}) || cancel_.Wait());
    if (slot.index() == 1 || cancelled_) co_return "cancelled before the read-back (the action itself succeeded)";
    Permit permit = std::get<0>(std::move(slot));
    awaitable<connectors::Outcome> op = c.Observe(connectors::Probe::kReadBack, action, result, ctx);
    std::pair<Ended, connectors::Outcome> seen = co_await Race(std::move(op), timeout);
    permit.Release();
    if (seen.first == Ended::kCancelled) co_return "cancelled during the read-back (the action itself succeeded)";
    std::string why = "timed out after " + workflows::FormatDuration(timeout);
    std::chrono::milliseconds retry_after{0};
    if (seen.first == Ended::kOutcome) {
      if (auto* ok = std::get_if<connectors::Succeeded>(&seen.second)) {
        std::string mismatch = Disagreement(ok->result);
        Value observed = std::move(ok->result);
        if (observed.IsMap()) observed.AsMap().Set("agrees", mismatch.empty());
        if (result.IsMap()) result.AsMap().Set("read_back", std::move(observed));
        co_return mismatch.empty() ? std::string() : "read-back disagrees: " + mismatch;
      }
      Verdict verdict = Judge(seen.second);
      if (verdict.kind == Verdict::kFailed) co_return "read-back failed: " + verdict.why;
      why = std::move(verdict.why);
      retry_after = verdict.retry_after;
    }
    if (attempt >= kTries) co_return "read-back failed after " + std::to_string(kTries) + " attempts: " + why;
    const Millis delay = BackoffDelay(step.spec->retry, attempt, retry_after, services_.random);
    co_await (services_.clock.SleepFor(delay) || cancel_.Wait());
  }
}

awaitable<TaskStatus> RunExecution::RunConnector(Step& step, Map args, Value* polled) {
  using namespace boost::asio::experimental::awaitable_operators;
  const workflows::ConnectionSpec* conn = pb_->FindConnection(step.call->connection);
  auto found = connectors_.find(step.call->connection);
  TaskRecord& row = Row(step.row, step.item);
  if (conn == nullptr || found == connectors_.end()) {
    const std::string why = "connection '" + step.call->connection + "' is not available";
    co_return EndRow(row, TaskStatus::kFailed, why, Value(), "failed", why);
  }
  const workflows::RetrySpec& retry = step.spec->retry;
  const workflows::Duration timeout =
      step.spec->timeout.count() > 0 ? step.spec->timeout : workflows::Duration(std::chrono::hours(24 * 365));
  const connectors::Action action{step.call->action, std::move(args), &step.call->with};
  row.idempotency_key = IdempotencyKey(run_.id, step.row, step.item);
  // Proof of removal (docs/proof.md): a destructive action records the state it is about to
  // change before its first attempt, and is read back once it succeeded (`verify`).
  const workflows::ConnectorSpec* connector_spec = services_.catalog.Find(conn->connector);
  const workflows::ActionSpec* action_spec =
      connector_spec != nullptr ? connector_spec->FindAction(step.call->action) : nullptr;
  const bool record_pre_state = polled == nullptr && action_spec != nullptr && !action_spec->pre_state.empty();
  const bool verify = polled == nullptr && action_spec != nullptr && !action_spec->read_back.empty() &&
                      step.spec->verify.value_or(true);
  // A poll's retries count from this call: the retry budget is per poll, not per task.
  const int before = polled != nullptr ? row.attempts : 0;
  for (;;) {
    if (cancelled_) {
      co_return EndRow(row, TaskStatus::kCancelled, "cancelled before it started", Recorded(row), "cancelled",
                       "cancelled before it started");
    }
    std::variant<Permit, std::monostate> slot =
        co_await (services_.limiter.Acquire(conn->name, {RateOf(*conn), conn->max_in_flight}) || cancel_.Wait());
    if (slot.index() == 1 || cancelled_) continue;  // the loop head records the cancellation
    if (halted_ || services_.journal.Failed()) co_return TaskStatus::kRunning;  // no new side effects
    Permit permit = std::get<0>(std::move(slot));
    row.status = TaskStatus::kRunning;
    ++row.attempts;
    if (row.started_ms == 0) row.started_ms = ToUnixMillis(services_.clock.Now());
    const std::string attempt = polled != nullptr ? "poll, " + AttemptText(row.attempts - before, retry)
                                                  : AttemptText(row.attempts, retry);
    connectors::Context ctx{row.idempotency_key, services_.clock.SteadyNow() + timeout, run_.id, step.row};
    std::string why;
    std::chrono::milliseconds retry_after{0};
    // The pre-state, read once (a retry or a resume finds it in the row): it rides in the intent
    // below, so it is durable before the effect. A target that cannot be read (not found, refused)
    // is recorded as such and the action goes ahead: it decides for itself.
    bool ready = true;
    if (record_pre_state && Recorded(row).IsNull()) {
      // A named "no result" that outlives `op`: the coroutine holds a reference to it until it ends
      // (a temporary Value() would be gone before `op` first runs: CP.53).
      const Value no_result;
      awaitable<connectors::Outcome> op = found->second->Observe(connectors::Probe::kPreState, action, no_result, ctx);
      std::pair<Ended, connectors::Outcome> read = co_await Race(std::move(op), timeout);
      if (read.first == Ended::kCancelled) {
        const std::string cancelled = "cancelled while reading the pre-state; nothing was changed";
        co_return EndRow(row, TaskStatus::kCancelled, cancelled, Value(), "cancelled", cancelled);
      }
      if (read.first == Ended::kTimeout) {
        why = "reading the pre-state: timed out after " + workflows::FormatDuration(timeout);
        ready = false;
      } else if (auto* ok = std::get_if<connectors::Succeeded>(&read.second)) {
        row.result = Value(Map());
        row.result.AsMap().Set("pre_state", std::move(ok->result));
      } else if (auto* failed = std::get_if<connectors::Failed>(&read.second)) {
        row.result = Value(Map());
        row.result.AsMap().Set("pre_state", Value());
        row.result.AsMap().Set("pre_state_error", FormatFailure(failed->failure));
      } else {
        Verdict verdict = Judge(read.second);
        why = "reading the pre-state: " + verdict.why;
        retry_after = verdict.retry_after;
        ready = false;
      }
    }
    if (ready) {
      // The action sees the pre-state too (the same on every attempt): what an earlier attempt
      // removed before the process died is in it, not in what the target holds now.
      if (const Value kept = Recorded(row); kept.IsMap()) {
        if (const Value* pre = kept.AsMap().Find("pre_state")) ctx.pre_state = *pre;
      }
      // Record before effect: the intent is durable before the connector is called.
      if (!co_await CommitRowWith(row, [&] {
            return Event(step.row, step.item, row.attempts, "attempt_started",
                         step.call->Uses() + ", " + attempt + ", key " + row.idempotency_key +
                             (record_pre_state ? ", pre-state recorded" : ""));
          })) {
        co_return TaskStatus::kRunning;
      }
      awaitable<connectors::Outcome> call = found->second->Invoke(action, ctx);
      // No structured binding: GCC 12 loses track of them across a suspension point.
      std::pair<Ended, connectors::Outcome> invoked = co_await Race(std::move(call), timeout);
      const Ended ended = invoked.first;
      connectors::Outcome& outcome = invoked.second;
      permit.Release();
      if (ended == Ended::kCancelled) {
        const std::string cancelled = "cancelled while in flight; the effect may or may not have happened";
        co_return EndRow(row, TaskStatus::kCancelled, cancelled, Recorded(row), "cancelled", cancelled);
      }
      if (ended == Ended::kTimeout) {
        why = "timed out after " + workflows::FormatDuration(timeout);
      } else {
        Verdict verdict = Judge(outcome);
        why = std::move(verdict.why);
        if (verdict.kind == Verdict::kSucceeded && polled != nullptr) {
          *polled = std::move(verdict.result);
          co_return TaskStatus::kSucceeded;  // RunPolling decides whether the row ends
        }
        if (verdict.kind == Verdict::kSucceeded) {
          Value result = WithRecord(std::move(verdict.result), row);
          if (!verify) co_return EndRow(row, TaskStatus::kSucceeded, "", std::move(result), "succeeded", attempt);
          const std::string disagrees = co_await ReadBack(step, *conn, *found->second, action, ctx, timeout, result);
          if (!disagrees.empty()) {
            co_return EndRow(row, TaskStatus::kFailed, disagrees, std::move(result), "failed", disagrees);
          }
          co_return EndRow(row, TaskStatus::kSucceeded, "", std::move(result), "succeeded", attempt + ", read back");
        }
        if (verdict.kind == Verdict::kFailed) {
          co_return EndRow(row, TaskStatus::kFailed, why, Recorded(row), "failed", why);
        }
        retry_after = verdict.retry_after;
      }
    }
    permit.Release();
    if (retry_after.count() > 0) {
      services_.limiter.Pause(conn->name, services_.clock.SteadyNow() + retry_after);
      co_await CommitEventWith([&] {
        return Event(step.row, step.item, row.attempts, "throttled",
                     "connection '" + conn->name + "' paused for " + workflows::FormatDuration(retry_after) + ": " +
                         why);
      });
    }
    if (!MayRetry(retry, row.attempts - before)) {
      const int tries = row.attempts - before;
      why = "gave up after " + std::to_string(tries) + (tries == 1 ? " attempt: " : " attempts: ") + why;
      co_return EndRow(row, TaskStatus::kFailed, why, Recorded(row), "failed", why);
    }
    const Millis delay = BackoffDelay(retry, row.attempts - before, retry_after, services_.random);
    row.status = TaskStatus::kPending;
    row.error = why;
    if (!co_await CommitRowWith(row, [&] {
          return Event(step.row, step.item, row.attempts, "retry_scheduled",
                       why + "; retrying in " + workflows::FormatDuration(delay));
        })) {
      co_return TaskStatus::kRunning;
    }
    co_await (services_.clock.SleepFor(delay) || cancel_.Wait());
  }
}

awaitable<void> RunExecution::Compensate() {
  co_await CommitEvent(Event("", -1, 0, "compensating", "undoing the succeeded tasks in reverse dependency order"));
  const auto& order = graph_->TopologicalOrder();
  for (auto it = order.rbegin(); it != order.rend() && !halted_ && !cancelled_; ++it) {
    const workflows::TaskSpec& spec = pb_->tasks[Index(*it)];
    const TaskRecord& row = Row(spec.id, -1);
    if (!spec.compensate) continue;
    // A task is undone when it succeeded; a fan-out also when it failed or was cancelled part way:
    // every item that succeeded is undone (in reverse item order), or the person keeps what the
    // succeeded items granted.
    const bool fan_out = row.items.IsList();
    if (row.status != TaskStatus::kSucceeded && !(fan_out && (row.status == TaskStatus::kFailed ||
                                                              row.status == TaskStatus::kCancelled))) {
      continue;
    }
    std::vector<int> items{-1};
    if (fan_out) {
      items.clear();
      for (int i = static_cast<int>(row.items.AsList().size()) - 1; i >= 0; --i) {
        if (Row(spec.id, i).status == TaskStatus::kSucceeded) items.push_back(i);
      }
    }
    for (int item : items) {
      const std::string name = spec.id + ":compensate";
      if (IsTerminal(Row(name, item).status)) continue;  // done before a resume
      const Value* item_value = item >= 0 ? &row.items.AsList()[static_cast<std::size_t>(item)] : nullptr;
      Step step{name, item, &*spec.compensate, &spec, std::nullopt, Row(spec.id, item).result,
                "tasks." + spec.id + ".compensate.with"};
      if (item_value != nullptr) step.item_value = *item_value;
      co_await RunStep(std::move(step));
    }
  }
}

namespace {

// Redacts and stamps the writes of one transition; copies the rows into `memory`.
Transition MakeTransition(const std::string& run_id, std::int64_t at_ms, const connectors::Redactor& redactor,
                          std::vector<TaskRecord> rows, std::vector<EventRecord>& events,
                          std::map<std::pair<std::string, int>, TaskRecord>& memory) {
  Transition t;
  t.run_id = run_id;
  t.at_ms = at_ms;
  for (TaskRecord& r : rows) {
    r.updated_ms = t.at_ms;
    r.result = redactor.RedactValue(r.result);
    r.error = redactor.Redact(r.error);
    memory[{r.task, r.item}] = r;
    t.tasks.push_back(std::move(r));
  }
  for (EventRecord& e : events) {
    e.at_ms = t.at_ms;
    e.detail = redactor.Redact(e.detail);
  }
  t.events = events;
  return t;
}

}  // namespace

awaitable<bool> RunExecution::Commit(std::vector<TaskRecord> rows, std::vector<EventRecord> events,
                                     std::optional<RunStatus> status, std::optional<std::string> run_error,
                                     std::optional<std::int64_t> wakeups_seen, bool release) {
  if (halted_) co_return false;
  Transition t = MakeTransition(run_.id, ToUnixMillis(services_.clock.Now()), services_.redactor, std::move(rows),
                                events, rows_);
  t.run_status = status;
  t.wakeups_seen = wakeups_seen;
  if (run_error) t.run_error = services_.redactor.Redact(*run_error);
  if (release) t.release_owner = options_.owner;
  // The last write of an execution (release) is lazy: nothing outside waits for it (Journal::Urgency).
  auto r = co_await services_.journal.Commit(std::move(t), release ? Journal::Urgency::kLazy : Journal::Urgency::kUrgent);
  if (!r) {
    if (!halted_) halted_ = r.error();
    Wake();
    co_return false;
  }
  released_ = released_ || release;
  if (services_.reporter != nullptr) {
    for (const EventRecord& e : events) services_.reporter->OnEvent(e);
  }
  co_return true;
}

void RunExecution::CommitLater(TaskRecord row, EventRecord event) {
  if (halted_) return;
  std::vector<TaskRecord> rows;
  rows.push_back(std::move(row));
  std::vector<EventRecord> events;
  events.push_back(std::move(event));
  Transition t = MakeTransition(run_.id, ToUnixMillis(services_.clock.Now()), services_.redactor, std::move(rows),
                                events, rows_);
  ++detached_commits_;
  services_.journal.Submit(std::move(t), [this, events = std::move(events)](Result<void> r) {
    --detached_commits_;
    if (!r) {
      if (!halted_) halted_ = r.error();
    } else if (services_.reporter != nullptr) {
      for (const EventRecord& e : events) services_.reporter->OnEvent(e);
    }
    Wake();
  });
}

awaitable<void> RunExecution::Drain() {
  while (detached_commits_ > 0) co_await wake_.Wait();
}

awaitable<bool> RunExecution::CommitRow(const TaskRecord& row, std::optional<EventRecord> event) {
  std::vector<TaskRecord> rows;
  rows.push_back(row);
  std::vector<EventRecord> events;
  if (event) events.push_back(std::move(*event));
  co_return co_await Commit(std::move(rows), std::move(events));
}

awaitable<bool> RunExecution::CommitEvent(EventRecord event, std::optional<RunStatus> status,
                                          std::optional<std::string> run_error) {
  std::vector<EventRecord> events;
  events.push_back(std::move(event));
  co_return co_await Commit(std::vector<TaskRecord>(), std::move(events), status, std::move(run_error));
}

TaskStatus RunExecution::EndRow(TaskRecord row, TaskStatus status, std::string error, Value result, std::string kind,
                                std::string detail) {
  row.status = status;
  row.error = std::move(error);
  row.result = std::move(result);
  row.finished_ms = ToUnixMillis(services_.clock.Now());
  if (row.started_ms == 0) row.started_ms = row.finished_ms;
  EventRecord e = Event(row.task, row.item, row.attempts, std::move(kind), std::move(detail));
  if (row.item < 0) Publish(row);
  CommitLater(std::move(row), std::move(e));
  return halted_ ? TaskStatus::kRunning : status;
}

EventRecord RunExecution::Event(const std::string& task, int item, int attempt, std::string kind,
                                std::string detail) const {
  EventRecord e;
  e.run_id = run_.id;
  e.task = task;
  e.item = item;
  e.attempt = attempt;
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  return e;
}

TaskRecord& RunExecution::Row(const std::string& task, int item) {
  auto [it, inserted] = rows_.try_emplace({task, item});
  if (inserted) {
    it->second.task = task;
    it->second.item = item;
  }
  return it->second;
}

void RunExecution::Publish(const TaskRecord& row) {
  if (row.task.find(':') != std::string::npos) return;  // compensation rows are not in scope
  Map entry;
  entry.Set("result", row.result);
  entry.Set("status", TaskStatusName(row.status));
  pending_entries_.emplace_back(row.task, Value(std::move(entry)));
}

const Map& RunExecution::TasksRoot() const {
  for (auto& [task, entry] : pending_entries_) workflows::SetTaskEntry(tasks_root_, task, std::move(entry));
  pending_entries_.clear();
  return tasks_root_;
}

RunExecution::StepScope RunExecution::ScopeOf(const Step& step) const {
  return StepScope(*this, step.spec->include, step.item_value ? &*step.item_value : nullptr, step.item,
                   step.result ? &*step.result : nullptr);
}

Result<Map> RunExecution::Params(int include) const {
  const workflows::IncludeSpec& inc = pb_->includes[static_cast<std::size_t>(include)];
  return workflows::RenderParams(*pb_, include, StepScope(*this, inc.parent, nullptr, -1, nullptr));
}

Result<Value> RunExecution::StepScope::Root(std::string_view name) const {
  if (name == "run") {
    Map run;
    run.Set("id", run_.run_.id);
    run.Set("playbook", run_.run_.playbook);
    return Value(std::move(run));
  }
  if (name == "now") return Value(FormatRfc3339(run_.services_.clock.Now()));
  if (name == "calendars") return Value(run_.pb_->calendars);
  if (name == "history" && !run_.history_.IsNull()) return run_.history_;
  if (name == "item" && item_ != nullptr) return *item_;
  if (name == "index" && item_ != nullptr) return Value(index_);
  if (name == "result" && result_ != nullptr) return *result_;
  if (include_ < 0) {
    if (name == "inputs") return run_.run_.inputs;
    if (name == "vars") return Value(run_.vars_);
    if (name == "tasks") return Value(run_.TasksRoot());
  } else {
    if (name == "tasks") return workflows::TasksView(run_.TasksRoot(), run_.pb_->Prefix(include_));
    if (name == "params") {
      auto params = run_.Params(include_);
      if (!params) return params.error();
      return Value(std::move(*params));
    }
  }
  return Error::NotFound("'" + std::string(name) + "' is not available here");
}

}  // namespace tenure::engine
