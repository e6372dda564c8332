// The ldap connector's user actions and search (see connector.h for the behaviour).
#include <ldap.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "connectors/http_support.h"
#include "connectors/ldap/escape.h"
#include "connectors/ldap/ldap_connector.h"
#include "connectors/secrets.h"

namespace tenure::connectors::ldap {
namespace {

using boost::asio::awaitable;

constexpr const char* kLockedForever = "000001010000Z";  // ppolicy: locked until an administrator unlocks
constexpr std::int64_t kAccountDisable = 0x2;            // AD userAccountControl ACCOUNTDISABLE
constexpr std::int64_t kNormalAccount = 0x200;           // AD userAccountControl NORMAL_ACCOUNT

bool SameValues(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

std::string FirstValue(const Entry& e, std::string_view attribute) {
  const Attribute* a = e.Find(attribute);
  return a != nullptr && !a->values.empty() ? a->values.front() : "";
}

std::int64_t AccountControl(const Entry& e) {
  const std::string v = FirstValue(e, "userAccountControl");
  if (v.empty()) return kNormalAccount;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    return kNormalAccount;
  }
}

// What AD wants in unicodePwd: the password in double quotes, as UTF-16LE.
std::string AdPassword(std::string_view password) {
  const std::string quoted = "\"" + std::string(password) + "\"";
  std::string out;
  auto unit = [&out](unsigned u) {
    out += static_cast<char>(u & 0xFF);
    out += static_cast<char>((u >> 8) & 0xFF);
  };
  for (std::size_t i = 0; i < quoted.size();) {
    const auto c = static_cast<unsigned char>(quoted[i]);
    unsigned cp = c;
    std::size_t n = 0;
    if (c >= 0xF0) cp = c & 0x07, n = 3;
    else if (c >= 0xE0) cp = c & 0x0F, n = 2;
    else if (c >= 0xC0) cp = c & 0x1F, n = 1;
    for (std::size_t k = 1; k <= n && i + k < quoted.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(quoted[i + k]) & 0x3F);
    }
    i += n + 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return out;
}

Value UserValue(const User& u, bool disabled) {
  Map out;
  out.Set("dn", u.entry.dn);
  out.Set("uid", u.id);
  out.Set("disabled", disabled);
  out.Set("attributes", AttributesOf(u.entry));
  return out;
}

Value Changed(const std::string& dn, const std::string& id, bool created, List changed) {
  return MakeMap({{"dn", dn}, {"uid", id}, {"created", created}, {"changed", std::move(changed)}});
}

bool IsPersonClass(const std::string& c) {
  return EqualsIgnoreCase(c, "inetOrgPerson") || EqualsIgnoreCase(c, "person") ||
         EqualsIgnoreCase(c, "organizationalPerson") || EqualsIgnoreCase(c, "user");
}

Result<Scope> ParseScope(const std::string& s) {
  if (s.empty() || s == "sub") return Scope::kSub;
  if (s == "one") return Scope::kOne;
  if (s == "base") return Scope::kBase;
  return Error::InvalidArgument("ldap search: scope must be base, one or sub (got '" + s + "')");
}


// Outside the coroutines: GCC 12 miscompiles braced lists of string literals inside them.
std::vector<std::string> UserReadAttributes(DisableMethod m) {
  std::vector<std::string> out{"*"};
  if (m == DisableMethod::kPpolicy) out.emplace_back("pwdAccountLockedTime");
  return out;
}

Value DisableResult(const User& u, bool disabled, bool changed) {
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"disabled", disabled}, {"changed", changed}});
}
Value DeleteResult(const std::string& dn, bool deleted) { return MakeMap({{"dn", dn}, {"deleted", deleted}}); }
Value PasswordResult(const User& u, const std::string& method) {
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"changed", true}, {"method", method}});
}
Value MoveResult(const User& u, const std::string& dn, const std::string& old_parent, bool moved) {
  return MakeMap({{"dn", dn}, {"uid", u.id}, {"old_dn", u.entry.dn}, {"old_parent", old_parent}, {"moved", moved}});
}
Value SearchResult(const std::vector<Entry>& entries) {
  List out;
  for (const Entry& e : entries) out.emplace_back(MakeMap({{"dn", e.dn}, {"attributes", AttributesOf(e)}}));
  const auto count = static_cast<std::int64_t>(out.size());
  return MakeMap({{"entries", std::move(out)}, {"count", count}});
}

// One entry as an account, in the shape of a SCIM user (what reconcile reads).
std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

Value AccountOf(const LdapConfig& c, const Entry& e, bool disabled) {
  Map out;
  out.Set("id", e.dn);
  out.Set("userName", FirstValue(e, c.user_id_attribute));
  List emails;
  if (const Attribute* mail = e.Find("mail")) {
    for (const std::string& m : mail->values) emails.push_back(MakeMap({{"value", m}}));
  }
  out.Set("emails", std::move(emails));
  out.Set("externalId", FirstValue(e, "employeeNumber"));
  out.Set("active", !disabled);
  return out;
}

}  // namespace

bool Disabled(const LdapConfig& c, const Entry& e) {
  switch (c.disable_method) {
    case DisableMethod::kPpolicy:
      return e.Find("pwdAccountLockedTime") != nullptr;
    case DisableMethod::kAd:
      return (AccountControl(e) & kAccountDisable) != 0;
    case DisableMethod::kAttribute:
      return FirstValue(e, c.disable_attribute) == c.disable_value;
  }
  return false;
}

namespace {

// The modification that disables (or enables) the account in `e`; empty when it already is so.
std::vector<Mod> DisableMods(const LdapConfig& c, const Entry& e, bool disable) {
  std::vector<Mod> mods;
  switch (c.disable_method) {
    case DisableMethod::kPpolicy: {
      const Attribute* locked = e.Find("pwdAccountLockedTime");
      if (disable && (locked == nullptr || locked->values != std::vector<std::string>{kLockedForever})) {
        mods.push_back(Mod{Mod::Op::kReplace, "pwdAccountLockedTime", {kLockedForever}});
      }
      if (!disable && locked != nullptr) mods.push_back(Mod{Mod::Op::kDelete, "pwdAccountLockedTime", {}});
      break;
    }
    case DisableMethod::kAd: {
      const std::int64_t uac = AccountControl(e);
      const std::int64_t want = disable ? (uac | kAccountDisable) : (uac & ~kAccountDisable);
      if (want != uac || e.Find("userAccountControl") == nullptr) {
        mods.push_back(Mod{Mod::Op::kReplace, "userAccountControl", {std::to_string(want)}});
      }
      break;
    }
    case DisableMethod::kAttribute: {
      const Attribute* current = e.Find(c.disable_attribute);
      const std::string& target = disable ? c.disable_value : c.enable_value;
      if (!target.empty() && (current == nullptr || current->values != std::vector<std::string>{target})) {
        mods.push_back(Mod{Mod::Op::kReplace, c.disable_attribute, {target}});
      }
      if (target.empty() && current != nullptr) mods.push_back(Mod{Mod::Op::kDelete, c.disable_attribute, {}});
      break;
    }
  }
  return mods;
}

// The modifications that bring `e` to `desired`, and the names of the attributes they change.
std::pair<std::vector<Mod>, List> Diff(const Entry& e, const std::vector<Mod>& desired) {
  std::vector<Mod> mods;
  List changed;
  for (const Mod& m : desired) {
    const Attribute* current = e.Find(m.attribute);
    if (m.values.empty()) {
      if (current == nullptr) continue;
      mods.push_back(Mod{Mod::Op::kDelete, m.attribute, {}});
    } else if (current == nullptr || !SameValues(current->values, m.values)) {
      mods.push_back(m);
    } else {
      continue;
    }
    changed.emplace_back(m.attribute);
  }
  return {std::move(mods), std::move(changed)};
}

struct NewEntry {
  std::string dn;
  std::vector<Mod> attributes;
};

// The entry ensure_user adds for `id`: user_object_classes, the id attribute, the desired
// attributes, and cn/sn (= the id) when a person class needs them and none is given.
Result<NewEntry> NewUserEntry(const LdapConfig& c, const std::string& id, const std::vector<Mod>& desired) {
  std::string rdn_value = EqualsIgnoreCase(c.user_rdn_attribute, c.user_id_attribute) ? id : "";
  NewEntry out;
  out.attributes.push_back(Mod{Mod::Op::kAdd, "objectClass", c.user_object_classes});
  bool has_id = false;
  bool has_cn = false;
  bool has_sn = false;
  for (const Mod& m : desired) {
    if (m.values.empty()) continue;
    if (EqualsIgnoreCase(m.attribute, c.user_rdn_attribute) && rdn_value.empty()) rdn_value = m.values.front();
    has_id = has_id || EqualsIgnoreCase(m.attribute, c.user_id_attribute);
    has_cn = has_cn || EqualsIgnoreCase(m.attribute, "cn");
    has_sn = has_sn || EqualsIgnoreCase(m.attribute, "sn");
    out.attributes.push_back(Mod{Mod::Op::kAdd, m.attribute, m.values});
  }
  if (rdn_value.empty()) {
    return Error::InvalidArgument("ldap ensure_user: user_rdn_attribute is " + c.user_rdn_attribute +
                                  ": give attributes." + c.user_rdn_attribute);
  }
  if (!has_id) out.attributes.push_back(Mod{Mod::Op::kAdd, c.user_id_attribute, {id}});
  const bool person = std::any_of(c.user_object_classes.begin(), c.user_object_classes.end(), IsPersonClass);
  if (person && !has_cn && !EqualsIgnoreCase(c.user_id_attribute, "cn")) {
    out.attributes.push_back(Mod{Mod::Op::kAdd, "cn", {EqualsIgnoreCase(c.user_rdn_attribute, "cn") ? rdn_value : id}});
  }
  if (person && !has_sn) out.attributes.push_back(Mod{Mod::Op::kAdd, "sn", {id}});
  out.dn = Rdn(c.user_rdn_attribute, rdn_value) + "," + c.people_dn;
  return out;
}

std::vector<Mod> PasswordMods(PasswordMethod m, const std::string& password) {
  if (m == PasswordMethod::kAd) return {Mod{Mod::Op::kReplace, "unicodePwd", {AdPassword(password)}}};
  return {Mod{Mod::Op::kReplace, "userPassword", {password}}};
}

const workflows::YamlNode* LiteralField(const workflows::YamlNode* with, std::string_view key) {
  return LiteralAt(with, {key});
}

Map UidLookup(const std::string& id) {
  Map m;
  m.Set("uid", id);
  return m;
}

}  // namespace

awaitable<Either<std::optional<User>>> LdapConnector::FindUser(const Map& args, const Context& ctx) {
  const std::string dn = StringArg(args, "dn");
  const std::string id = StringArg(args, "uid");
  std::vector<std::string> attributes = UserReadAttributes(config_.disable_method);
  std::string base = config_.base_dn;
  Scope scope = Scope::kSub;
  std::string filter;
  if (!dn.empty()) {
    if (!SplitDn(dn)) co_return Fail(FailureClass::kPermanent, "ldap: dn is not a valid DN: '" + dn + "'");
    base = dn;
    scope = Scope::kBase;
    filter = "(objectClass=*)";
  } else if (!id.empty()) {
    if (!IsUtf8(id)) co_return Fail(FailureClass::kPermanent, "ldap: uid is not valid UTF-8");
    filter = "(&" + EqualityFilter("objectClass", config_.user_object_classes.back()) +
             EqualityFilter(config_.user_id_attribute, id) + ")";
  } else {
    co_return Fail(FailureClass::kPermanent, "ldap: give `uid` or `dn`");
  }
  awaitable<Reply> op = session_->Search(base, scope, filter, attributes, 0, "", Deadline(ctx));
  Reply r = co_await std::move(op);
  if (scope == Scope::kBase && r.delivery == Delivery::kAnswered && r.code == LDAP_NO_SUCH_OBJECT) {
    co_return std::optional<User>();
  }
  if (!r.Ok()) co_return FromReply(r, false, "search for user " + filter + " under " + base);
  if (r.entries.empty()) co_return std::optional<User>();
  if (r.entries.size() > 1) {
    co_return Fail(FailureClass::kPermanent, "ldap: " + std::to_string(r.entries.size()) + " entries match " + filter +
                                                 " under " + base + " (" + r.entries[0].dn + ", " + r.entries[1].dn +
                                                 "); user_id_attribute must be unique");
  }
  User u{std::move(r.entries.front()), ""};
  u.id = FirstValue(u.entry, config_.user_id_attribute);
  if (u.id.empty()) u.id = id;
  co_return std::optional<User>(std::move(u));
}

awaitable<Either<User>> LdapConnector::RequireUser(const Map& args, const Context& ctx) {
  auto found = co_await FindUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& user = std::get<std::optional<User>>(found);
  if (!user) {
    const std::string dn = StringArg(args, "dn");
    co_return Fail(FailureClass::kNotFound, "ldap: no user " + (dn.empty() ? config_.user_id_attribute + "=" +
                                                                                 StringArg(args, "uid") + " under " +
                                                                                 config_.base_dn
                                                                           : dn));
  }
  co_return std::move(*user);
}

awaitable<Either<List>> LdapConnector::Reconcile(const User& user, const std::vector<Mod>& desired,
                                                 const Context& ctx) {
  auto [mods, changed] = Diff(user.entry, desired);
  if (mods.empty()) co_return changed;
  awaitable<Reply> op = session_->Modify(user.entry.dn, std::move(mods), Deadline(ctx));
  Reply r = co_await std::move(op);
  if (!r.Ok()) co_return FromReply(r, true, "modify " + user.entry.dn);
  co_return changed;
}

awaitable<Outcome> LdapConnector::EnsureUser(const Map& args, const Context& ctx) {
  const std::string id = StringArg(args, "uid");
  if (id.empty() || !IsUtf8(id)) co_return Fail(FailureClass::kPermanent, "ldap ensure_user: uid must be a UTF-8 string");
  auto desired = DesiredAttributes(args);
  if (!desired) co_return Fail(FailureClass::kPermanent, desired.error().message);
  const Map lookup = UidLookup(id);
  auto found = co_await FindUser(lookup, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  if (auto& user = std::get<std::optional<User>>(found)) {
    auto changed = co_await Reconcile(*user, *desired, ctx);
    if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
    co_return Succeeded{Changed(user->entry.dn, user->id, false, std::move(std::get<List>(changed)))};
  }
  // Absent: add it.
  auto entry = NewUserEntry(config_, id, *desired);
  if (!entry) co_return Fail(FailureClass::kPermanent, entry.error().message);
  const std::string dn = entry->dn;
  awaitable<Reply> op = session_->Add(dn, std::move(entry->attributes), Deadline(ctx));
  Reply r = co_await std::move(op);
  if (r.Ok()) co_return Succeeded{Changed(dn, id, true, List{})};
  if (r.delivery != Delivery::kAnswered || r.code != LDAP_ALREADY_EXISTS) co_return FromReply(r, true, "add " + dn);
  // alreadyExists: made meanwhile (another run, or our own earlier attempt): adopt it.
  auto again = co_await FindUser(lookup, ctx);
  if (auto* o = std::get_if<Outcome>(&again)) co_return std::move(*o);
  auto& user = std::get<std::optional<User>>(again);
  if (!user) {
    co_return Fail(FailureClass::kConflict, "ldap ensure_user: " + dn + " exists but is not a " +
                                                config_.user_object_classes.back() + " with " +
                                                config_.user_id_attribute + "=" + id);
  }
  auto changed = co_await Reconcile(*user, *desired, ctx);
  if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
  co_return Succeeded{Changed(user->entry.dn, user->id, false, std::move(std::get<List>(changed)))};
}

awaitable<Outcome> LdapConnector::GetUser(const Map& args, const Context& ctx) {
  auto user = co_await RequireUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  co_return Succeeded{UserValue(u, Disabled(config_, u.entry))};
}

awaitable<Outcome> LdapConnector::UpdateUser(const Map& args, const Context& ctx) {
  auto desired = DesiredAttributes(args);
  if (!desired) co_return Fail(FailureClass::kPermanent, desired.error().message);
  auto user = co_await RequireUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  auto changed = co_await Reconcile(u, *desired, ctx);
  if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
  co_return Succeeded{Changed(u.entry.dn, u.id, false, std::move(std::get<List>(changed)))};
}

awaitable<Outcome> LdapConnector::SetDisabled(const Map& args, bool disable, const Context& ctx) {
  auto user = co_await RequireUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  std::vector<Mod> mods = DisableMods(config_, u.entry, disable);
  const bool change = !mods.empty();
  if (change) {
    awaitable<Reply> op = session_->Modify(u.entry.dn, std::move(mods), Deadline(ctx));
    Reply r = co_await std::move(op);
    // noSuchAttribute on enable: the lock was removed meanwhile, which is what we wanted.
    const bool gone = !disable && r.delivery == Delivery::kAnswered && r.code == LDAP_NO_SUCH_ATTRIBUTE;
    if (!r.Ok() && !gone) co_return FromReply(r, true, "modify " + u.entry.dn);
  }
  co_return Succeeded{DisableResult(u, disable, change)};
}

awaitable<Outcome> LdapConnector::DeleteUser(const Map& args, const Context& ctx) {
  auto found = co_await FindUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& user = std::get<std::optional<User>>(found);
  if (!user) co_return Succeeded{DeleteResult(StringArg(args, "dn"), false)};
  awaitable<Reply> op = session_->Delete(user->entry.dn, Deadline(ctx));
  Reply r = co_await std::move(op);
  const bool gone = r.delivery == Delivery::kAnswered && r.code == LDAP_NO_SUCH_OBJECT;
  if (!r.Ok() && !gone) co_return FromReply(r, true, "delete " + user->entry.dn);
  co_return Succeeded{DeleteResult(user->entry.dn, !gone)};
}

awaitable<Outcome> LdapConnector::SetPassword(const Action& action, const Context& ctx) {
  const Value* given = action.args.Find("password");
  if (given == nullptr || !given->IsString() || given->AsString().empty()) {
    co_return Fail(FailureClass::kPermanent, "ldap set_password: password is required (a ${env:..} or ${file:..} reference)");
  }
  auto password = ResolveLiteralSecrets(*given, LiteralField(action.literal, "password"), "set_password: password",
                                        secrets_, redactor_);
  if (!password) co_return Fail(FailureClass::kPermanent, password.error().message);
  redactor_.Add(*password);
  if (password->empty() || !IsUtf8(*password)) {
    co_return Fail(FailureClass::kPermanent, "ldap set_password: the password is empty or not UTF-8");
  }
  auto user = co_await RequireUser(action.args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  Reply r;
  std::string method;
  switch (config_.password_method) {
    case PasswordMethod::kExop: {
      method = "exop";
      awaitable<Reply> op = session_->PasswordModify(u.entry.dn, *password, Deadline(ctx));
      r = co_await std::move(op);
      break;
    }
    case PasswordMethod::kAd: {
      method = "ad";
      if (!session_->Encrypted()) {
        co_return Fail(FailureClass::kPermanent,
                       "ldap set_password: Active Directory accepts unicodePwd only over an encrypted connection; use "
                       "an ldaps:// url or starttls: true (nothing was sent)");
      }
      std::vector<Mod> mods = PasswordMods(config_.password_method, *password);
      awaitable<Reply> op = session_->Modify(u.entry.dn, std::move(mods), Deadline(ctx));
      r = co_await std::move(op);
      break;
    }
    case PasswordMethod::kAttribute: {
      method = "attribute";
      std::vector<Mod> mods = PasswordMods(config_.password_method, *password);
      awaitable<Reply> op = session_->Modify(u.entry.dn, std::move(mods), Deadline(ctx));
      r = co_await std::move(op);
      break;
    }
  }
  if (!r.Ok()) co_return FromReply(r, true, "set the password of " + u.entry.dn);
  co_return Succeeded{PasswordResult(u, method)};
}

awaitable<Outcome> LdapConnector::MoveUser(const Map& args, const Context& ctx) {
  const std::string parent = StringArg(args, "new_parent");
  if (parent.empty() || !SplitDn(parent)) {
    co_return Fail(FailureClass::kPermanent, "ldap move_user: new_parent must be a DN, e.g. ou=former," + config_.base_dn);
  }
  auto user = co_await RequireUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  auto split = SplitDn(u.entry.dn);
  if (!split) co_return Fail(FailureClass::kPermanent, "ldap move_user: the server's DN does not parse: " + u.entry.dn);
  const std::string old_parent = split->second;
  if (SameDn(old_parent, parent)) {
    co_return Succeeded{MoveResult(u, u.entry.dn, old_parent, false)};
  }
  awaitable<Reply> op = session_->Rename(u.entry.dn, split->first, parent, Deadline(ctx));
  Reply r = co_await std::move(op);
  if (!r.Ok()) co_return FromReply(r, true, "move " + u.entry.dn + " under " + parent);
  const std::string moved = split->first + "," + parent;
  co_return Succeeded{MoveResult(u, moved, old_parent, true)};
}

awaitable<Either<std::vector<Entry>>> LdapConnector::SearchAll(std::string base, Scope scope, std::string filter,
                                                               std::vector<std::string> attributes, int page_size,
                                                               const Context& ctx) {
  std::vector<Entry> all;
  std::string cookie;
  for (int page = 0; page < 1'000'000; ++page) {
    awaitable<Reply> op = session_->Search(base, scope, filter, attributes, page_size, cookie, Deadline(ctx));
    Reply r = co_await std::move(op);
    if (!r.Ok()) co_return FromReply(r, false, "search " + filter + " under " + base);
    std::move(r.entries.begin(), r.entries.end(), std::back_inserter(all));
    if (r.cookie.empty()) break;
    cookie = std::move(r.cookie);
  }
  co_return all;
}

awaitable<Outcome> LdapConnector::Search(const Action& action, const Context& ctx) {
  const Map& args = action.args;
  auto scope = ParseScope(StringArg(args, "scope"));
  if (!scope) co_return Fail(FailureClass::kPermanent, scope.error().message);
  std::string base = StringArg(args, "base");
  if (base.empty()) base = config_.base_dn;
  std::string filter = StringArg(args, "filter");
  if (!filter.empty() && action.literal != nullptr) {
    // A filter is taken as written: a value rendered into it from an input could change its
    // structure. Values belong in `equals`, which escapes them.
    const workflows::YamlNode* literal = LiteralField(action.literal, "filter");
    if (literal == nullptr || !literal->IsScalar() || literal->scalar.find("{{") != std::string::npos) {
      co_return Fail(FailureClass::kPermanent,
                     "ldap search: `filter` is used as written and must not contain a {{ template }}; put values in "
                     "`equals` (escaped per RFC 4515)");
    }
  }
  if (filter.empty()) filter = "(objectClass=*)";
  if (const Value* eq = args.Find("equals"); eq != nullptr && eq->IsMap() && !eq->AsMap().empty()) {
    std::string all = "(&" + filter;
    for (const auto& [name, v] : eq->AsMap()) {
      const std::string value = v.IsString() ? v.AsString() : v.IsInt() ? std::to_string(v.AsInt()) : "";
      if (!IsAttributeName(name) || (!v.IsString() && !v.IsInt()) || !IsUtf8(value)) {
        co_return Fail(FailureClass::kPermanent,
                       "ldap search: equals." + name + ": an attribute name with a string value is expected");
      }
      all += EqualityFilter(name, value);
    }
    filter = all + ")";
  }
  std::vector<std::string> attributes;
  if (const Value* a = args.Find("attributes"); a != nullptr && a->IsList()) {
    for (const Value& v : a->AsList()) {
      if (v.IsString()) attributes.push_back(v.AsString());
    }
  }
  int page_size = config_.page_size;
  if (const Value* p = args.Find("page_size"); p != nullptr && p->IsInt() && p->AsInt() > 0) {
    page_size = static_cast<int>(p->AsInt());
  }
  auto entries = co_await SearchAll(base, *scope, filter, attributes, page_size, ctx);
  if (auto* o = std::get_if<Outcome>(&entries)) co_return std::move(*o);
  co_return Succeeded{SearchResult(std::get<std::vector<Entry>>(entries))};
}

awaitable<Outcome> LdapConnector::ListUsers(const Context& ctx) {
  const std::string filter = EqualityFilter("objectClass", config_.user_object_classes.back());
  auto entries =
      co_await SearchAll(config_.base_dn, Scope::kSub, filter, UserReadAttributes(config_.disable_method), config_.page_size, ctx);
  if (auto* o = std::get_if<Outcome>(&entries)) co_return std::move(*o);
  // Every group once, with its members: each account lists the groups holding it (by DN in
  // member/uniqueMember, by its id in memberUid), as SCIM users list theirs: [{value, display}].
  std::vector<std::string> group_attributes = {"objectClass", "cn", "member", "uniqueMember", "memberUid"};
  auto groups = co_await SearchAll(config_.groups_dn, Scope::kSub, AnyGroupFilter(), std::move(group_attributes),
                                   config_.page_size, ctx);
  if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
  std::map<std::string, List> held;  // lower-cased member DN, or "uid:" + lower-cased id -> groups
  for (const Entry& g : std::get<std::vector<Entry>>(groups)) {
    const Value group = MakeMap({{"value", Value(g.dn)}, {"display", Value(FirstValue(g, "cn"))}});
    for (const std::string& attribute : MembershipAttributes(g)) {
      const Attribute* members = g.Find(attribute);
      if (members == nullptr) continue;
      const bool by_id = EqualsIgnoreCase(attribute, "memberUid");
      for (const std::string& m : members->values) held[(by_id ? "uid:" : "") + Lower(m)].push_back(group);
    }
  }
  List users;
  for (const Entry& e : std::get<std::vector<Entry>>(entries)) {
    Value account = AccountOf(config_, e, Disabled(config_, e));
    List mine;
    if (auto it = held.find(Lower(e.dn)); it != held.end()) mine = it->second;
    if (auto it = held.find("uid:" + Lower(FirstValue(e, config_.user_id_attribute))); it != held.end()) {
      mine.insert(mine.end(), it->second.begin(), it->second.end());
    }
    account.AsMap().Set("groups", std::move(mine));
    users.push_back(std::move(account));
  }
  const auto total = static_cast<std::int64_t>(users.size());
  Map out;
  out.Set("resources", std::move(users));
  out.Set("total", total);
  co_return Succeeded{Value(std::move(out))};
}

}  // namespace tenure::connectors::ldap
