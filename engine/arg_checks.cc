#include "engine/arg_checks.h"

#include <date/tz.h>

#include "engine/timer.h"
#include "workflows/validate.h"

namespace tenure::engine {

std::optional<std::string> CheckTimeZoneName(std::string_view name) {
  try {
    (void)date::locate_zone(std::string(name));
    return std::nullopt;
  } catch (const std::exception&) {
    return "unknown time zone '" + std::string(name) + "' (expected an IANA name like Europe/Paris)";
  }
}

std::string CheckApprovers(const Value& args, const std::string& path) {
  const Value* approvers = args.IsMap() ? args.AsMap().Find("approvers") : nullptr;
  if (approvers == nullptr || approvers->IsNull()) return "";
  if (!approvers->IsList()) {
    return path + ".approvers: expected a list of user names, got " + std::string(approvers->KindName());
  }
  for (std::size_t i = 0; i < approvers->AsList().size(); ++i) {
    const Value& a = approvers->AsList()[i];
    if (!a.IsString() || a.AsString().empty()) {
      return path + ".approvers: expected a list of user names, got an item " +
             (a.IsString() ? std::string("that is empty") : "of type " + std::string(a.KindName()));
    }
    if (auto why = workflows::WhyNotApprover(a.AsString())) {
      return path + ".approvers[" + std::to_string(i) + "]: " + *why;
    }
  }
  return "";
}

std::optional<workflows::ArgProblem> CheckBuiltinArgs(std::string_view connector, std::string_view action,
                                                      const Value& args, const std::string& path) {
  if (connector == "manual") {
    std::string bad = CheckApprovers(args, path);
    if (!bad.empty()) return workflows::ArgProblem{"approvers", std::move(bad)};
  } else if (connector == "timer" && action == "wait") {
    // The due time itself depends on when the task starts; whether it can be computed does not.
    auto due = TimerDue(args.IsMap() ? args.AsMap() : Map(), SystemTime());
    if (!due) {
      const Map& m = args.IsMap() ? args.AsMap() : Map();
      const Value* f = m.Find("for");
      const std::string arg = f != nullptr && !f->IsNull() ? "for"
                              : due.error().message.find("time zone") != std::string::npos ? "time_zone"
                                                                                           : "until";
      return workflows::ArgProblem{m.Contains(arg) ? arg : "", due.error().message};
    }
  }
  return std::nullopt;
}

}  // namespace tenure::engine
