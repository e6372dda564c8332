#include "tests/engine/support/fake_connector.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "connectors/catalog.h"

namespace tenure::engine::testing {

class FakeConnector final : public connectors::Connector {
 public:
  FakeConnector(FakeService& service, std::string connection) : service_(service), connection_(std::move(connection)) {}
  boost::asio::awaitable<connectors::Outcome> Invoke(const connectors::Action& action,
                                                     const connectors::Context& ctx) override;

 private:
  FakeService& service_;
  std::string connection_;
};

namespace {

// Decrements the in-flight count however the call ends (cancellation included).
struct InFlight {
  explicit InFlight(int& n, int& peak) : n_(n) { peak = std::max(peak, ++n_); }
  ~InFlight() { --n_; }
  int& n_;
};

}  // namespace

void FakeService::Script(const std::string& key, std::vector<Behavior> steps) {
  for (Behavior& b : steps) scripts_[key].push_back(std::move(b));
}

std::vector<std::string> FakeService::CallTasks() const {
  std::vector<std::string> out;
  for (const Call& c : calls_) out.push_back(c.task);
  return out;
}

Behavior FakeService::Next(const std::string& idempotency_key, const std::string& task, const std::string& uses,
                           const std::string& action) {
  for (const std::string& key : {idempotency_key, task, uses, action}) {
    auto it = scripts_.find(key);
    if (it == scripts_.end() || it->second.empty()) continue;
    Behavior b = std::move(it->second.front());
    it->second.pop_front();
    return b;
  }
  return Behavior::Succeed();
}

boost::asio::awaitable<connectors::Outcome> FakeConnector::Invoke(const connectors::Action& action,
                                                                  const connectors::Context& ctx) {
  service_.calls_.push_back({connection_, action.name, action.args, ctx.idempotency_key, ctx.task_id,
                             service_.clock().SteadyNow()});
  InFlight guard(service_.in_flight_, service_.peak_);
  const Behavior b = service_.Next(ctx.idempotency_key, ctx.task_id, connection_ + "." + action.name, action.name);
  switch (b.kind) {
    case Behavior::Kind::kHang: {
      boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor, SteadyTime::max());
      co_await forever.async_wait(boost::asio::use_awaitable);  // only cancellation ends it
      co_return connectors::Unknown{"hang ended"};
    }
    case Behavior::Kind::kSlow: co_await service_.clock().SleepFor(b.delay); break;
    case Behavior::Kind::kFail:
      if (b.delay.count() > 0) co_await service_.clock().SleepFor(b.delay);
      co_return connectors::Failed{{b.cls, b.message, b.http_status, ""}};
    case Behavior::Kind::kRetryLater:
      co_return connectors::RetryLater{b.delay, {b.cls, b.message, b.http_status, ""}};
    case Behavior::Kind::kUnknown: co_return connectors::Unknown{b.message};
    case Behavior::Kind::kSucceed: break;
  }
  ++service_.effects_[ctx.idempotency_key];
  Map result;
  result.Set("id", action.name + "-" + ctx.task_id);
  result.Set("args", Value(action.args));
  result.Set("effects", service_.effects_[ctx.idempotency_key]);  // how often this key took effect
  co_return connectors::Succeeded{Value(std::move(result))};
}

Result<std::unique_ptr<connectors::Connector>> FakeFactory::Create(const workflows::ConnectionSpec& conn,
                                                                   connectors::Redactor& redactor) {
  if (conn.connector != "fake") return Error::NotFound("connector " + conn.connector + " is not available in tests");
  for (const std::string& s : secrets) redactor.Add(s);
  return std::unique_ptr<connectors::Connector>(std::make_unique<FakeConnector>(service_, conn.name));
}

workflows::ConnectorCatalog TestCatalog() {
  using workflows::ArgSpec;
  using workflows::ArgType;
  auto builtin = connectors::BuiltinCatalog();
  std::vector<workflows::ConnectorSpec> specs(builtin.all().begin(), builtin.all().end());
  workflows::ConnectorSpec fake;
  fake.name = "fake";
  fake.description = "scripted test connector";
  const std::vector<ArgSpec> args = {{"name", ArgType::kAny, false, "", false},
                                     {"value", ArgType::kAny, false, "", false},
                                     {"user", ArgType::kAny, false, "", false}};
  for (const char* action : {"create", "update", "delete", "notify", "read"}) {
    fake.actions.push_back({action, "test action", args, {}, {{"id", "id"}, {"args", "args"}}, true, "delete"});
  }
  fake.actions.back().read_only = true;
  fake.actions.back().undo = "";
  specs.push_back(std::move(fake));
  return workflows::ConnectorCatalog(std::move(specs));
}

}  // namespace tenure::engine::testing
