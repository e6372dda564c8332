#include "sandbox/faults.h"

#include <boost/json/object.hpp>

namespace tenure::sandbox {
namespace {

namespace json = boost::json;

Result<double> Number(const json::value& v, std::string_view key, double lo, double hi) {
  if (!v.is_number()) return Error::InvalidArgument("fault \"" + std::string(key) + "\" must be a number");
  const double d = v.to_number<double>();
  if (d < lo || d > hi) {
    return Error::InvalidArgument("fault \"" + std::string(key) + "\" must be between " + std::to_string(lo) + " and " +
                                  std::to_string(hi));
  }
  return d;
}

Result<FaultRule> ParseRule(const json::value& v) {
  if (!v.is_object()) return Error::InvalidArgument("a fault rule must be an object");
  FaultRule rule;
  for (const auto& kv : v.get_object()) {
    const std::string key(kv.key());
    if (key == "path_prefix") {
      if (!kv.value().is_string()) return Error::InvalidArgument("fault \"path_prefix\" must be a string");
      rule.path_prefix = std::string(kv.value().get_string());
      continue;
    }
    struct Field {
      const char* name;
      double lo, hi;
      int* as_int;
      double* as_double;
    };
    const Field fields[] = {{"latency_ms", 0, 600'000, &rule.latency_ms, nullptr},
                            {"rate", 0, 1e6, &rule.rate, nullptr},
                            {"fail_rate", 0, 1, nullptr, &rule.fail_rate},
                            {"fail_status", 100, 599, &rule.fail_status, nullptr},
                            {"reset_rate", 0, 1, nullptr, &rule.reset_rate},
                            {"stall_rate", 0, 1, nullptr, &rule.stall_rate},
                            {"stall_ms", 0, 3'600'000, &rule.stall_ms, nullptr},
                            {"rate_status", 403, 429, &rule.rate_status, nullptr},
                            {"retry_after", 0, 86'400, &rule.retry_after, nullptr}};
    const auto* field = std::find_if(std::begin(fields), std::end(fields), [&](const Field& f) { return key == f.name; });
    if (field == std::end(fields)) return Error::InvalidArgument("unknown fault \"" + key + "\"");
    auto number = Number(kv.value(), key, field->lo, field->hi);
    if (!number) return number.error();
    if (field->as_int != nullptr) *field->as_int = static_cast<int>(*number);
    if (field->as_double != nullptr) *field->as_double = *number;
  }
  return rule;
}

}  // namespace

Faults::Faults(std::vector<FaultRule> defaults, std::uint64_t seed) : defaults_(std::move(defaults)), rng_(seed) {
  Set(defaults_);
}

void Faults::Set(std::vector<FaultRule> rules) {
  rules_ = std::move(rules);
  windows_.assign(rules_.size(), Window{});
}

bool Faults::Draw(double share) {
  if (share <= 0) return false;
  if (share >= 1) return true;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < share;
}

FaultDecision Faults::Decide(std::string_view path, std::chrono::steady_clock::time_point now) {
  FaultDecision d;
  if (path.starts_with("/_sandbox")) return d;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& rule = rules_[i];
    if (!path.starts_with(rule.path_prefix)) continue;
    d.latency = std::max(d.latency, std::chrono::milliseconds(rule.latency_ms));
    if (d.kind != FaultDecision::Kind::kNone) continue;
    if (rule.rate > 0) {
      Window& w = windows_[i];
      if (now - w.start >= std::chrono::seconds(1)) w = Window{now, 0};
      if (++w.count > rule.rate) {
        d.kind = FaultDecision::Kind::kRateLimited;
        d.status = rule.rate_status;
        d.retry_after_seconds = rule.retry_after;
        continue;
      }
    }
    if (Draw(rule.reset_rate)) {
      d.kind = FaultDecision::Kind::kReset;
    } else if (Draw(rule.fail_rate)) {
      d.kind = FaultDecision::Kind::kFail;
      d.status = rule.fail_status;
    } else if (Draw(rule.stall_rate)) {
      d.kind = FaultDecision::Kind::kStall;
      d.stall = std::chrono::milliseconds(rule.stall_ms);
    }
  }
  return d;
}

json::value Faults::ToJson() const {
  json::array rules;
  for (const auto& r : rules_) {
    rules.push_back({{"path_prefix", r.path_prefix}, {"latency_ms", r.latency_ms}, {"rate", r.rate},
                     {"fail_rate", r.fail_rate}, {"fail_status", r.fail_status}, {"reset_rate", r.reset_rate},
                     {"stall_rate", r.stall_rate}, {"stall_ms", r.stall_ms},
                     {"rate_status", r.rate_status}, {"retry_after", r.retry_after}});
  }
  return json::object{{"rules", std::move(rules)}};
}

Result<std::vector<FaultRule>> Faults::Parse(const json::value& v) {
  const json::value* list = &v;
  if (v.is_object() && v.get_object().contains("rules")) list = &v.get_object().at("rules");
  std::vector<FaultRule> out;
  if (list->is_array()) {
    for (const auto& e : list->get_array()) {
      auto rule = ParseRule(e);
      if (!rule) return rule.error();
      out.push_back(std::move(*rule));
    }
    return out;
  }
  auto rule = ParseRule(*list);
  if (!rule) return rule.error();
  out.push_back(std::move(*rule));
  return out;
}

}  // namespace tenure::sandbox
