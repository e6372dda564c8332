// engine/drift.h: what `tenure reconcile` reports, decided without I/O.
#include "engine/drift.h"

#include <catch2/catch.hpp>

namespace tenure::engine {
namespace {

Account Acct(std::string connection, std::string id, std::string user_name, bool active,
             std::vector<std::string> emails = {}) {
  Account a;
  a.connection = std::move(connection);
  a.id = std::move(id);
  a.user_name = std::move(user_name);
  a.active = active;
  a.emails = std::move(emails);
  return a;
}

TEST_CASE("drift: leavers, orphans and missing people, matched by userName, e-mail or externalId", "[drift]") {
  const std::vector<HrPerson> people = {
      {"ada@example.com", "active", true, 1, ""},     {"bob@example.com", "terminated", false, 2, ""},
      {"cy@example.com", "terminated", false, 3, ""}, {"dee@example.com", "active", true, 4, ""},
      {"E-77", "active", true, 5, ""},
  };
  Account by_external = Acct("idp", "u5", "eve", true);
  by_external.external_id = "e-77";
  const std::vector<Account> accounts = {
      Acct("idp", "u1", "ADA@example.com", true),                  // active person, active account: fine
      Acct("idp", "u2", "bob", true, {"bob@example.com"}),          // leaver, matched by e-mail
      Acct("idp", "u3", "cy@example.com", false),                   // leaver already disabled: fine
      Acct("idp", "u9", "ghost@example.com", false),                // orphan, even inactive
      by_external,                                                  // matched by externalId
      Acct("crm", "c1", "ada@example.com", true),
  };
  const auto found = FindDrift(people, {"idp", "crm"}, accounts);
  REQUIRE(found.size() == 5);
  CHECK(found[0].kind == DriftKind::kLeaver);
  CHECK(found[0].person == "bob@example.com");
  CHECK(found[0].account_id == "u2");
  CHECK(found[0].status == "terminated");
  CHECK(found[0].row == 2);
  CHECK(found[1].kind == DriftKind::kOrphan);
  CHECK(found[1].user_name == "ghost@example.com");
  CHECK_FALSE(found[1].active);
  // Missing: by connection, then key. On crm only Ada has an account.
  CHECK(found[2].kind == DriftKind::kMissing);
  CHECK(found[2].connection == "crm");
  CHECK(found[2].person == "E-77");
  CHECK(found[3].person == "dee@example.com");
  CHECK(found[4].connection == "idp");
  CHECK(found[4].person == "dee@example.com");
}

TEST_CASE("drift: nothing to report when HR and the accounts agree", "[drift]") {
  const std::vector<HrPerson> people = {{"ada@example.com", "", true, 1, ""}};
  CHECK(FindDrift(people, {"idp"}, {Acct("idp", "u1", "ada@example.com", true)}).empty());
}

TEST_CASE("drift: with grants, groups an active person holds outside their role's are excess", "[drift]") {
  const std::vector<HrPerson> people = {
      {"ada@example.com", "active", true, 1, "Engineering"},
      {"bob@example.com", "active", true, 2, "Sales"},
      {"cy@example.com", "terminated", false, 3, "Sales"},
      {"dee@example.com", "active", true, 4, "Legal"},  // no grants of its own: only everyone's
  };
  Grants grants;
  grants.column = "department";
  grants.groups["engineering"] = {"engineering", "on-call"};
  grants.groups["sales"] = {"sales"};
  grants.groups["*"] = {"everyone"};
  auto with = [](Account a, std::vector<std::string> groups) {
    a.groups = std::move(groups);
    return a;
  };
  const std::vector<Account> accounts = {
      with(Acct("idp", "u1", "ada@example.com", true), {"Everyone", "engineering", "On-Call"}),  // all granted
      with(Acct("idp", "u2", "bob@example.com", true), {"everyone", "sales", "finance", "admins"}),
      with(Acct("idp", "u3", "cy@example.com", true), {"sales"}),  // a leaver: reported as such
      with(Acct("idp", "u4", "dee@example.com", true), {"everyone", "engineering"}),
  };
  const auto found = FindDrift(people, {"idp"}, accounts, &grants);
  REQUIRE(found.size() == 3);
  CHECK(found[0].kind == DriftKind::kLeaver);
  CHECK(found[0].person == "cy@example.com");
  CHECK(found[1].kind == DriftKind::kExcess);
  CHECK(found[1].person == "bob@example.com");
  CHECK(found[1].role == "Sales");
  CHECK(found[1].groups == std::vector<std::string>{"finance", "admins"});
  CHECK(found[2].kind == DriftKind::kExcess);
  CHECK(found[2].person == "dee@example.com");
  CHECK(found[2].groups == std::vector<std::string>{"engineering"});
  // Without grants, the same accounts show no excess.
  CHECK(FindDrift(people, {"idp"}, accounts).size() == 1);
}

}  // namespace
}  // namespace tenure::engine
