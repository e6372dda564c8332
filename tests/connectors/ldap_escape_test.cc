// connectors/ldap/escape.h: RFC 4514 DN values and RFC 4515 filter values, with an injection
// corpus; the classification of LDAP result codes; the connection settings. No server needed
// (the live tests are in ldap_test.cc).
#include <catch2/catch.hpp>
#include <string>

#include "connectors/ldap/connector.h"
#include "connectors/ldap/escape.h"
#include "connectors/ldap/ldap_connector.h"
#include "tests/connectors/support/scripted_transport.h"

namespace tenure::connectors::ldap {
namespace {

using namespace std::string_literals;

TEST_CASE("ldap escape: DN values per RFC 4514", "[ldap]") {
  CHECK(EscapeDnValue("jane") == "jane");
  CHECK(EscapeDnValue("Doe, Jane") == "Doe\\, Jane");
  CHECK(EscapeDnValue(",+\"\\<>;=") == "\\,\\+\\\"\\\\\\<\\>\\;\\=");
  CHECK(EscapeDnValue("#hash") == "\\#hash");
  CHECK(EscapeDnValue("a#b") == "a#b");  // '#' only matters first
  CHECK(EscapeDnValue(" lead") == "\\ lead");
  CHECK(EscapeDnValue("trail ") == "trail\\ ");
  CHECK(EscapeDnValue(" ") == "\\ ");
  CHECK(EscapeDnValue("in side") == "in side");
  CHECK(EscapeDnValue("nul\0byte"s) == "nul\\00byte");
  CHECK(EscapeDnValue("tab\there") == "tab\\09here");
  CHECK(EscapeDnValue("Jürgen Ø 東京") == "Jürgen Ø 東京");  // UTF-8 kept as is
  CHECK(EscapeDnValue("*)(uid=*))(|(uid=*") == "*)(uid\\=*))(|(uid\\=*");
  // The injection a DN escape exists for: a value that would add an RDN or a parent.
  CHECK(Rdn("uid", "x,ou=admins,dc=example,dc=com") == "uid=x\\,ou\\=admins\\,dc\\=example\\,dc\\=com");
  CHECK(Rdn("cn", "a+uid=root") == "cn=a\\+uid\\=root");
}

TEST_CASE("ldap escape: filter values per RFC 4515", "[ldap]") {
  CHECK(EscapeFilterValue("jane") == "jane");
  CHECK(EscapeFilterValue("*") == "\\2a");
  CHECK(EscapeFilterValue("*)(uid=*))(|(uid=*") == "\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a");
  CHECK(EscapeFilterValue("admin)(|(objectClass=*)") == "admin\\29\\28|\\28objectClass=\\2a\\29");
  CHECK(EscapeFilterValue("back\\slash") == "back\\5cslash");
  CHECK(EscapeFilterValue("nul\0"s) == "nul\\00");
  CHECK(EscapeFilterValue("#, +\"<>;=") == "#, +\"<>;=");  // no meaning in a filter value
  CHECK(EscapeFilterValue("Jürgen") == "Jürgen");
  CHECK(EqualityFilter("uid", "*") == "(uid=\\2a)");
  CHECK(EqualityFilter("member", "cn=a\\,b,dc=x") == "(member=cn=a\\5c,b,dc=x)");
}

TEST_CASE("ldap escape: attribute names and UTF-8", "[ldap]") {
  CHECK(IsAttributeName("uid"));
  CHECK(IsAttributeName("userAccountControl"));
  CHECK(IsAttributeName("msDS-Foo"));
  CHECK(IsAttributeName("2.5.4.3"));
  CHECK(IsAttributeName("cn;lang-en"));
  CHECK_FALSE(IsAttributeName(""));
  CHECK_FALSE(IsAttributeName("1uid"));
  CHECK_FALSE(IsAttributeName("uid=x"));
  CHECK_FALSE(IsAttributeName("uid)(x"));
  CHECK_FALSE(IsAttributeName("u id"));
  CHECK_FALSE(IsAttributeName("2..5"));
  CHECK_FALSE(IsAttributeName("*"));
  CHECK(IsUtf8("plain"));
  CHECK(IsUtf8("Jürgen 東京 😀"));
  CHECK_FALSE(IsUtf8("\xC3"));
  CHECK_FALSE(IsUtf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(IsUtf8("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(IsUtf8("\xFF"));
}

TEST_CASE("ldap: result codes and lost answers map to the engine's outcome classes", "[ldap]") {
  auto reply = [](int code) {
    Reply r;
    r.code = code;
    r.message = "server words";
    return r;
  };
  auto failure_class = [](const Outcome& o) { return testing::FailureOf(o)->cls; };
  for (int code : {51, 52, 80, 3}) {  // busy, unavailable, other, time limit
    const Outcome o = OutcomeOfReply(reply(code), true, "modify x");
    REQUIRE(std::holds_alternative<RetryLater>(o));
    CHECK(failure_class(o) == FailureClass::kTransient);
  }
  for (int code : {49, 50, 19, 65, 21, 34, 53, 64, 17}) {
    const Outcome o = OutcomeOfReply(reply(code), true, "modify x");
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(failure_class(o) == FailureClass::kPermanent);
  }
  CHECK(failure_class(OutcomeOfReply(reply(32), false, "search")) == FailureClass::kNotFound);
  CHECK(failure_class(OutcomeOfReply(reply(68), true, "add")) == FailureClass::kConflict);
  const Outcome invalid = OutcomeOfReply(reply(49), false, "bind");
  CHECK(testing::FailureOf(invalid)->message == "bind: Invalid credentials (49): server words");
  CHECK(testing::FailureOf(invalid)->provider_code == "49");

  Reply lost;
  lost.delivery = Delivery::kTimedOut;
  CHECK(std::holds_alternative<Unknown>(OutcomeOfReply(lost, true, "delete x")));
  CHECK(std::holds_alternative<RetryLater>(OutcomeOfReply(lost, false, "search")));
  lost.delivery = Delivery::kLost;
  CHECK(std::holds_alternative<Unknown>(OutcomeOfReply(lost, true, "delete x")));
  Reply unsent;
  unsent.delivery = Delivery::kNotSent;
  unsent.code = -1;
  unsent.message = "connect to ldap://127.0.0.1:1: Can't contact LDAP server";
  CHECK(std::holds_alternative<RetryLater>(OutcomeOfReply(unsent, true, "add x")));
}

Map BaseConfig() {
  Map c;
  c.Set("url", "ldap://127.0.0.1:389");
  c.Set("base_dn", "dc=example,dc=com");
  return c;
}

std::string ConfigError(Map c) {
  auto r = ParseLdapConfig(c);
  return r ? "" : r.error().message;
}

TEST_CASE("ldap: connection settings are checked with errors naming the key", "[ldap]") {
  auto ok = ParseLdapConfig(BaseConfig());
  REQUIRE(ok.has_value());
  CHECK(ok->people_dn == "dc=example,dc=com");
  CHECK(ok->user_id_attribute == "uid");
  CHECK(ok->disable_method == DisableMethod::kPpolicy);
  CHECK(ok->password_method == PasswordMethod::kExop);

  Map c = BaseConfig();
  c.Set("url", "http://x");
  CHECK(ConfigError(c) == "ldap: url must be an ldap:// or ldaps:// URL");
  c = BaseConfig();
  c.Set("url", "ldaps://x");
  c.Set("starttls", true);
  CHECK(ConfigError(c) == "ldap: starttls is for ldap:// URLs (ldaps:// is TLS already)");
  c = BaseConfig();
  c.Set("bind_dn", "cn=admin,dc=example,dc=com");
  CHECK(ConfigError(c) == "ldap: bind_dn needs a password (a ${env:..} or ${file:..} reference)");
  c = BaseConfig();
  c.Set("people_dn", "not a dn");
  CHECK(ConfigError(c) == "ldap: people_dn is not a valid DN: 'not a dn'");
  c = BaseConfig();
  c.Set("disable_method", "lock");
  CHECK(ConfigError(c) == "ldap: disable_method must be one of ppolicy, ad, attribute (got 'lock')");
  c = BaseConfig();
  c.Set("disable_method", "attribute");
  CHECK(ConfigError(c) == "ldap: disable_method attribute needs disable_attribute (an attribute name) and disable_value");
  c = BaseConfig();
  c.Set("password_method", "attribute");
  CHECK(ConfigError(c) ==
        "ldap: password_method attribute writes the password in clear into userPassword; set "
        "allow_plain_password_attribute: true to allow it");
  c.Set("allow_plain_password_attribute", true);
  CHECK(ConfigError(c) == "");
  c = BaseConfig();
  c.Set("group_type", "nisNetgroup");
  CHECK(ConfigError(c) == "ldap: group_type must be one of groupOfNames, groupOfUniqueNames, posixGroup (got 'nisNetgroup')");
  c = BaseConfig();
  c.Set("timeout", "soon");
  CHECK(ConfigError(c) == "ldap: timeout must be a duration such as 30s");
  c = BaseConfig();
  c.Set("user_rdn_attribute", "cn=x");
  CHECK(ConfigError(c) == "ldap: user_rdn_attribute and user_id_attribute must be attribute names");
}

}  // namespace
}  // namespace tenure::connectors::ldap
