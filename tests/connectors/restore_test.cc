// connectors/restore.h: which groups a remove_from_all_groups removed across attempts, and the
// inverse calls of each restorable action, from recorded pre-states (pure; the end-to-end proofs
// are in tests/engine/proof_cli_test.cc, tests/cli/lifecycle_test.cc and the slapd tests).
#include <catch2/catch.hpp>

#include "connectors/http_support.h"
#include "connectors/restore.h"

namespace tenure::connectors {
namespace {

Value Group(const std::string& id) { return MakeMap({{"id", id}, {"displayName", "name-" + id}}); }

Value HeldBefore(const std::string& user, List groups) {
  return MakeMap({{"user_id", user}, {"groups", std::move(groups)}});
}

std::vector<std::string> Ids(const List& groups) {
  std::vector<std::string> out;
  for (const Value& g : groups) out.push_back(g.AsMap().Find("id")->AsString());
  return out;
}

TEST_CASE("removed across attempts: what this attempt removed, then what an earlier one did", "[restore]") {
  const Value pre = HeldBefore("u1", List{Group("a"), Group("b"), Group("c")});
  // The first attempt removed a and b, then the process died; c is still held.
  CHECK(Ids(RemovedAcrossAttempts(pre, "user_id", "u1", "id", List{Group("c")}, List{Group("c")})) ==
        std::vector<std::string>{"c", "a", "b"});
  // Everything was removed before the crash: the resumed attempt finds nothing and removes nothing.
  CHECK(Ids(RemovedAcrossAttempts(pre, "user_id", "u1", "id", List{}, List{})) ==
        std::vector<std::string>{"a", "b", "c"});
  // A first attempt: it removed what was held (a group added meanwhile included); none twice.
  CHECK(Ids(RemovedAcrossAttempts(pre, "user_id", "u1", "id", List{Group("a"), Group("b"), Group("c"), Group("d")},
                                  List{Group("a"), Group("b"), Group("c"), Group("d")})) ==
        std::vector<std::string>{"a", "b", "c", "d"});
  // Held but not removed by this attempt (someone else removed it meanwhile): not ours to list.
  CHECK(Ids(RemovedAcrossAttempts(pre, "user_id", "u1", "id", List{Group("a"), Group("b"), Group("c")},
                                  List{Group("a"), Group("b")})) == std::vector<std::string>{"a", "b"});
  // No pre-state, or one of another user: only what this attempt removed.
  CHECK(RemovedAcrossAttempts(Value(), "user_id", "u1", "id", List{}, List{}).empty());
  CHECK(RemovedAcrossAttempts(pre, "user_id", "u2", "id", List{}, List{}).empty());
}

TEST_CASE("inverse calls of the directory and cloud removals, from their pre-state", "[restore]") {
  SECTION("ldap") {
    auto groups = InverseCalls("ldap", "remove_from_all_groups",
                               MakeMap({{"dn", "uid=a,ou=people,dc=x"}, {"uid", "a"},
                                        {"groups", List{MakeMap({{"dn", "cn=g,dc=x"}, {"cn", "g"}, {"attribute", "member"}}),
                                                        MakeMap({{"dn", "cn=g,dc=x"}, {"cn", "g"}, {"attribute", "memberUid"}}),
                                                        MakeMap({{"dn", "cn=h,dc=x"}, {"cn", "h"}, {"attribute", "member"}})}}}));
    REQUIRE(groups.has_value());
    REQUIRE(groups->size() == 2);  // one add_to_group per group: it sets every membership attribute
    CHECK((*groups)[0].action == "add_to_group");
    CHECK((*groups)[0].args.Find("uid")->AsString() == "a");
    CHECK((*groups)[0].args.Find("group_dn")->AsString() == "cn=g,dc=x");
    auto locked = InverseCalls("ldap", "disable_user", MakeMap({{"dn", "uid=a,dc=x"}, {"uid", "a"}, {"disabled", true}}));
    REQUIRE(locked.has_value());
    CHECK(locked->empty());  // locked already: nothing to bring back
    auto moved = InverseCalls("ldap", "move_user", MakeMap({{"dn", "uid=a,ou=p,dc=x"}, {"uid", "a"}, {"parent", "ou=p,dc=x"}}));
    REQUIRE(moved.has_value());
    REQUIRE(moved->size() == 1);
    CHECK((*moved)[0].args.Find("new_parent")->AsString() == "ou=p,dc=x");
    auto deleted = InverseCalls("ldap", "delete_user", MakeMap({{"dn", "uid=a,dc=x"}, {"uid", "a"}}));
    REQUIRE_FALSE(deleted.has_value());
    CHECK(deleted.error().Is(Errc::kFailedPrecondition));
  }
  SECTION("msgraph") {
    auto licences = InverseCalls(
        "msgraph", "remove_licenses",
        MakeMap({{"id", "u1"}, {"userPrincipalName", "ada@x"},
                 {"licenses", List{MakeMap({{"skuId", "e3"}, {"disabledPlans", List{Value("p1")}}}),
                                   MakeMap({{"skuId", "ems"}, {"disabledPlans", List{}}})}}}));
    REQUIRE(licences.has_value());
    REQUIRE(licences->size() == 2);
    CHECK((*licences)[0].action == "assign_license");
    CHECK((*licences)[0].args.Find("disabled_plans")->AsList().size() == 1);
    CHECK((*licences)[1].args.Find("disabled_plans") == nullptr);
    auto not_member = InverseCalls("msgraph", "remove_from_group",
                                   MakeMap({{"user_id", "u1"}, {"group_id", "g1"}, {"member", false}}));
    REQUIRE(not_member.has_value());
    CHECK(not_member->empty());
  }
  SECTION("google") {
    auto suspended = InverseCalls("google", "suspend_user", MakeMap({{"id", "1"}, {"suspended", false}}));
    REQUIRE(suspended.has_value());
    REQUIRE(suspended->size() == 1);
    CHECK((*suspended)[0].action == "unsuspend_user");
    auto groups = InverseCalls("google", "remove_from_all_groups",
                               MakeMap({{"id", "ada@x"}, {"groups", List{MakeMap({{"id", "9"}, {"email", "eng@x"}})}}}));
    REQUIRE(groups.has_value());
    REQUIRE(groups->size() == 1);
    CHECK((*groups)[0].args.Find("group")->AsString() == "eng@x");
    auto missing = InverseCalls("google", "remove_from_all_groups", MakeMap({{"id", "ada@x"}}));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().Is(Errc::kInvalidArgument));
  }
}

}  // namespace
}  // namespace tenure::connectors
