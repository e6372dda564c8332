// The ldap connector's entry point, configuration and shared plumbing (see connector.h).
#include <ldap.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "connectors/http_support.h"
#include "connectors/ldap/escape.h"
#include "connectors/ldap/ldap_connector.h"
#include "workflows/loader.h"

namespace tenure::connectors::ldap {
namespace {

using boost::asio::awaitable;

Result<std::chrono::milliseconds> DurationSetting(const Map& config, std::string_view key,
                                                  std::chrono::milliseconds fallback) {
  const Value* v = config.Find(key);
  if (v == nullptr || v->IsNull()) return fallback;
  if (v->IsInt() && v->AsInt() > 0) return std::chrono::milliseconds(v->AsInt() * 1000);
  if (v->IsString()) {
    auto d = workflows::ParseDuration(v->AsString());
    if (d && d->count() > 0) return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  return Error::InvalidArgument("ldap: " + std::string(key) + " must be a duration such as 30s");
}

Result<void> CheckDn(const std::string& dn, std::string_view key) {
  if (dn.empty()) return {};
  if (!SplitDn(dn)) return Error::InvalidArgument("ldap: " + std::string(key) + " is not a valid DN: '" + dn + "'");
  return {};
}

template <class E>
Result<E> Choice(const Map& config, std::string_view key, std::initializer_list<std::pair<std::string_view, E>> choices,
                 E fallback) {
  const std::string v = StringArg(config, key);
  if (v.empty()) return fallback;
  std::string names;
  for (const auto& [name, e] : choices) {
    if (v == name) return e;
    names += names.empty() ? "" : ", ";
    names += name;
  }
  return Error::InvalidArgument("ldap: " + std::string(key) + " must be one of " + names + " (got '" + v + "')");
}

Result<void> ParseAccountSettings(const Map& config, LdapConfig& c) {
  auto disable = Choice<DisableMethod>(
      config, "disable_method",
      {{"ppolicy", DisableMethod::kPpolicy}, {"ad", DisableMethod::kAd}, {"attribute", DisableMethod::kAttribute}},
      DisableMethod::kPpolicy);
  if (!disable) return disable.error();
  c.disable_method = *disable;
  c.disable_attribute = StringArg(config, "disable_attribute");
  c.disable_value = StringArg(config, "disable_value");
  c.enable_value = StringArg(config, "enable_value");
  if (c.disable_method == DisableMethod::kAttribute &&
      (!IsAttributeName(c.disable_attribute) || c.disable_value.empty())) {
    return Error::InvalidArgument(
        "ldap: disable_method attribute needs disable_attribute (an attribute name) and disable_value");
  }
  auto password = Choice<PasswordMethod>(
      config, "password_method",
      {{"exop", PasswordMethod::kExop}, {"ad", PasswordMethod::kAd}, {"attribute", PasswordMethod::kAttribute}},
      PasswordMethod::kExop);
  if (!password) return password.error();
  c.password_method = *password;
  if (const Value* v = config.Find("allow_plain_password_attribute")) {
    if (!v->IsBool()) return Error::InvalidArgument("ldap: allow_plain_password_attribute must be true or false");
    c.allow_plain_password_attribute = v->AsBool();
  }
  if (c.password_method == PasswordMethod::kAttribute && !c.allow_plain_password_attribute) {
    return Error::InvalidArgument(
        "ldap: password_method attribute writes the password in clear into userPassword; set "
        "allow_plain_password_attribute: true to allow it");
  }
  return {};
}

Result<void> ParseDirectorySettings(const Map& config, LdapConfig& c) {
  c.base_dn = StringArg(config, "base_dn");
  if (c.base_dn.empty()) return Error::InvalidArgument("ldap: base_dn is required");
  c.people_dn = StringArg(config, "people_dn");
  if (c.people_dn.empty()) c.people_dn = c.base_dn;
  c.groups_dn = StringArg(config, "groups_dn");
  if (c.groups_dn.empty()) c.groups_dn = c.base_dn;
  for (const auto& [key, dn] : {std::pair<std::string_view, const std::string*>{"base_dn", &c.base_dn},
                                {"people_dn", &c.people_dn},
                                {"groups_dn", &c.groups_dn}}) {
    if (auto ok = CheckDn(*dn, key); !ok) return ok.error();
  }
  if (std::string rdn = StringArg(config, "user_rdn_attribute"); !rdn.empty()) c.user_rdn_attribute = rdn;
  c.user_id_attribute = StringArg(config, "user_id_attribute");
  if (c.user_id_attribute.empty()) c.user_id_attribute = c.user_rdn_attribute;
  if (!IsAttributeName(c.user_rdn_attribute) || !IsAttributeName(c.user_id_attribute)) {
    return Error::InvalidArgument("ldap: user_rdn_attribute and user_id_attribute must be attribute names");
  }
  if (const Value* v = config.Find("user_object_classes")) {
    c.user_object_classes.clear();
    if (v->IsList()) {
      for (const Value& item : v->AsList()) {
        if (item.IsString() && IsAttributeName(item.AsString())) c.user_object_classes.push_back(item.AsString());
      }
    }
    if (c.user_object_classes.empty() || !v->IsList() || c.user_object_classes.size() != v->AsList().size()) {
      return Error::InvalidArgument("ldap: user_object_classes must be a list of object class names");
    }
  }
  auto group = Choice<GroupType>(config, "group_type",
                                 {{"groupOfNames", GroupType::kGroupOfNames},
                                  {"groupOfUniqueNames", GroupType::kGroupOfUniqueNames},
                                  {"posixGroup", GroupType::kPosixGroup}},
                                 GroupType::kGroupOfNames);
  if (!group) return group.error();
  c.group_type = *group;
  c.group_placeholder_member = StringArg(config, "group_placeholder_member");
  if (auto ok = CheckDn(c.group_placeholder_member, "group_placeholder_member"); !ok) return ok.error();
  if (const Value* p = config.Find("page_size")) {
    if (!p->IsInt() || p->AsInt() < 1 || p->AsInt() > 100'000) {
      return Error::InvalidArgument("ldap: page_size must be an integer between 1 and 100000");
    }
    c.page_size = static_cast<int>(p->AsInt());
  }
  return {};
}

}  // namespace

std::string StringArg(const Map& args, std::string_view key) {
  const Value* v = args.Find(key);
  if (v == nullptr) return "";
  if (v->IsString()) return v->AsString();
  if (v->IsInt()) return std::to_string(v->AsInt());
  return "";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

Result<LdapConfig> ParseLdapConfig(const Map& config) {
  LdapConfig c;
  c.session.url = StringArg(config, "url");
  if (!c.session.url.starts_with("ldap://") && !c.session.url.starts_with("ldaps://")) {
    return Error::InvalidArgument("ldap: url must be an ldap:// or ldaps:// URL");
  }
  if (c.session.url.find_first_of(" \t\n,") != std::string::npos) {
    return Error::InvalidArgument("ldap: url must be one URL");
  }
  if (const Value* v = config.Find("starttls")) {
    if (!v->IsBool()) return Error::InvalidArgument("ldap: starttls must be true or false");
    c.session.starttls = v->AsBool();
  }
  if (c.session.starttls && c.session.url.starts_with("ldaps://")) {
    return Error::InvalidArgument("ldap: starttls is for ldap:// URLs (ldaps:// is TLS already)");
  }
  c.session.bind_dn = StringArg(config, "bind_dn");
  if (auto ok = CheckDn(c.session.bind_dn, "bind_dn"); !ok) return ok.error();
  c.session.password = StringArg(config, "password");
  if (!c.session.bind_dn.empty() && c.session.password.empty()) {
    return Error::InvalidArgument("ldap: bind_dn needs a password (a ${env:..} or ${file:..} reference)");
  }
  c.session.ca_file = StringArg(config, "ca_file");
  auto connect = DurationSetting(config, "connect_timeout", c.session.connect_timeout);
  if (!connect) return connect.error();
  c.session.connect_timeout = *connect;
  auto timeout = DurationSetting(config, "timeout", c.timeout);
  if (!timeout) return timeout.error();
  c.timeout = *timeout;
  if (auto ok = ParseDirectorySettings(config, c); !ok) return ok.error();
  if (auto ok = ParseAccountSettings(config, c); !ok) return ok.error();
  return c;
}

std::unique_ptr<Connector> MakeLdapConnector(LdapConfig config, Redactor& redactor, SecretResolver& secrets) {
  return std::make_unique<LdapConnector>(std::move(config), redactor, secrets);
}

Session& LdapConnector::session(const boost::asio::any_io_executor& ex) {
  if (!session_) session_ = std::make_unique<Session>(ex, config_.session);
  return *session_;
}

Clock::time_point LdapConnector::Deadline(const Context& ctx) const {
  const Clock::time_point own = Clock::now() + config_.timeout;
  if (ctx.deadline == Clock::time_point{}) return own;
  return std::min(own, ctx.deadline);
}

awaitable<Outcome> LdapConnector::Invoke(const Action& action, const Context& ctx) {
  session(co_await boost::asio::this_coro::executor);
  std::string what = "ldap " + action.name;
  awaitable<Outcome> op = Dispatch(action, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), redactor_);
}

awaitable<Outcome> LdapConnector::Dispatch(const Action& action, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "ensure_user") co_return co_await EnsureUser(a, ctx);
  if (n == "get_user") co_return co_await GetUser(a, ctx);
  if (n == "update_user") co_return co_await UpdateUser(a, ctx);
  if (n == "disable_user") co_return co_await SetDisabled(a, true, ctx);
  if (n == "enable_user") co_return co_await SetDisabled(a, false, ctx);
  if (n == "delete_user") co_return co_await DeleteUser(a, ctx);
  if (n == "set_password") co_return co_await SetPassword(action, ctx);
  if (n == "move_user") co_return co_await MoveUser(a, ctx);
  if (n == "ensure_group") co_return co_await EnsureGroup(a, ctx);
  if (n == "add_to_group") co_return co_await ChangeGroup(a, true, ctx);
  if (n == "remove_from_group") co_return co_await ChangeGroup(a, false, ctx);
  if (n == "remove_from_all_groups") co_return co_await RemoveFromAllGroups(a, ctx);
  if (n == "search") co_return co_await Search(action, ctx);
  if (n == "list_users") co_return co_await ListUsers(ctx);
  co_return Fail(FailureClass::kPermanent, "ldap: unknown action '" + n + "'");
}

Outcome LdapConnector::FromReply(const Reply& r, bool effectful, const std::string& what) const {
  return OutcomeOfReply(r, effectful, what);
}

Outcome OutcomeOfReply(const Reply& r, bool effectful, const std::string& what) {
  // Connecting failed before the request: its message says what (connect, StartTLS, bind).
  const std::string words = r.connecting ? r.message : what + ": " + r.message;
  switch (r.delivery) {
    case Delivery::kNotSent:
      // A certificate the connection refuses is configuration, not weather: retrying cannot help.
      if (r.tls_failure) {
        return Fail(FailureClass::kPermanent,
                    words + "; TLS verification failed? check ca_file and that the certificate names the host", 0,
                    std::to_string(r.code));
      }
      return RetryLater{std::chrono::milliseconds(0), Failure{FailureClass::kTransient, words, 0, std::to_string(r.code)}};
    case Delivery::kLost:
    case Delivery::kTimedOut:
    case Delivery::kCancelled:
      if (effectful) return Unknown{words};
      return RetryLater{std::chrono::milliseconds(0), Failure{FailureClass::kTransient, words, 0, ""}};
    case Delivery::kAnswered:
      break;
  }
  if (r.connecting) return Fail(FailureClass::kPermanent, words, 0, std::to_string(r.code));
  const std::string text = what + ": " + ResultCodeName(r.code) + " (" + std::to_string(r.code) + ")" +
                           (r.message.empty() ? "" : ": " + r.message);
  const std::string code = std::to_string(r.code);
  switch (r.code) {
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
    case LDAP_OTHER:
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
      return RetryLater{std::chrono::milliseconds(0), Failure{FailureClass::kTransient, text, 0, code}};
    case LDAP_NO_SUCH_OBJECT:
      return Fail(FailureClass::kNotFound, text, 0, code);
    case LDAP_ALREADY_EXISTS:
      return Fail(FailureClass::kConflict, text, 0, code);
    default:
      return Fail(FailureClass::kPermanent, text, 0, code);
  }
}

Map AttributesOf(const Entry& e) {
  Map out;
  for (const Attribute& a : e.attributes) {
    if (EqualsIgnoreCase(a.name, "userPassword") || EqualsIgnoreCase(a.name, "unicodePwd")) continue;
    if (a.values.size() == 1) {
      out.Set(a.name, a.values.front());
    } else {
      List values(a.values.begin(), a.values.end());
      out.Set(a.name, std::move(values));
    }
  }
  return out;
}

Result<std::vector<Mod>> DesiredAttributes(const Map& args) {
  std::vector<Mod> mods;
  const Value* attrs = args.Find("attributes");
  if (attrs == nullptr || attrs->IsNull()) return mods;
  if (!attrs->IsMap()) return Error::InvalidArgument("ldap: attributes must be a map of attribute name to value(s)");
  for (const auto& [name, v] : attrs->AsMap()) {
    if (!IsAttributeName(name)) return Error::InvalidArgument("ldap: '" + name + "' is not an attribute name");
    if (EqualsIgnoreCase(name, "userPassword") || EqualsIgnoreCase(name, "unicodePwd")) {
      return Error::InvalidArgument("ldap: set passwords with set_password, not as attribute '" + name + "'");
    }
    Mod m{Mod::Op::kReplace, name, {}};
    auto add = [&](const Value& item) -> bool {
      if (item.IsString()) m.values.push_back(item.AsString());
      else if (item.IsInt()) m.values.push_back(std::to_string(item.AsInt()));
      else if (item.IsBool()) m.values.push_back(item.AsBool() ? "TRUE" : "FALSE");
      else return false;
      return IsUtf8(m.values.back());
    };
    bool ok = true;
    if (v.IsList()) {
      for (const Value& item : v.AsList()) ok = ok && add(item);
    } else if (!v.IsNull()) {
      ok = add(v);
    }
    if (!ok) {
      return Error::InvalidArgument("ldap: attribute '" + name +
                                    "' must be a string, number or list of them, in UTF-8 (null removes it)");
    }
    mods.push_back(std::move(m));
  }
  return mods;
}

std::vector<std::string> MembershipAttributes(const Entry& group) {
  std::vector<std::string> out;
  const Attribute* classes = group.Find("objectClass");
  if (classes == nullptr) return out;
  auto add = [&out](const char* a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.emplace_back(a);
  };
  for (const std::string& c : classes->values) {
    if (EqualsIgnoreCase(c, "groupOfNames") || EqualsIgnoreCase(c, "group")) add("member");
    if (EqualsIgnoreCase(c, "groupOfUniqueNames")) add("uniqueMember");
    if (EqualsIgnoreCase(c, "posixGroup")) add("memberUid");
  }
  return out;
}

std::string GroupObjectClass(GroupType t) {
  switch (t) {
    case GroupType::kGroupOfNames:
      return "groupOfNames";
    case GroupType::kGroupOfUniqueNames:
      return "groupOfUniqueNames";
    case GroupType::kPosixGroup:
      return "posixGroup";
  }
  return "groupOfNames";
}

std::string GroupMemberAttribute(GroupType t) {
  switch (t) {
    case GroupType::kGroupOfNames:
      return "member";
    case GroupType::kGroupOfUniqueNames:
      return "uniqueMember";
    case GroupType::kPosixGroup:
      return "memberUid";
  }
  return "member";
}

}  // namespace tenure::connectors::ldap
