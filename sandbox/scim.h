// ScimService: SCIM 2.0 (RFC 7643/7644) Users and Groups over the sandbox State.
//
// Endpoints, under /scim/v2: ServiceProviderConfig, ResourceTypes[/NAME], Schemas[/URN],
// Users and Groups with POST, GET (by id, or a list with `filter`, `startIndex`, `count`),
// PUT, PATCH and DELETE. Errors use the SCIM error schema with `status`, `scimType` and `detail`:
// 400 invalidFilter / invalidSyntax / invalidValue / invalidPath / noTarget / mutability,
// 404 for unknown ids, 409 uniqueness for a duplicate userName (case-insensitive) or group
// displayName. Deleting a user removes it from every group. Users are rendered with their
// read-only `groups`. Runs on the sandbox's single thread; not thread-safe.
//
// Profiles stand in for providers that do less (ScimOptions): `eq-only` answers 400
// invalidFilter to every filter but a single `attribute eq "value"` (no and/or/not, no
// `members[value eq "x"]`, no `members.value`), and its users have no `groups` attribute (nor
// does its User schema). `max_results` caps every page at that many resources, whatever `count`
// asked (stated as filter.maxResults in /ServiceProviderConfig only when `advertise_max_results`).
#pragma once

#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "sandbox/message.h"
#include "sandbox/state.h"

namespace tenure::sandbox {

enum class ScimProfile {
  kFull,    // the filters of scim_filter.h, users with `groups`
  kEqOnly,  // only `attribute eq "value"` filters, users without `groups`
};
// "full" / "eq-only" (the command line's spelling); nullopt for anything else.
std::optional<ScimProfile> ParseScimProfile(std::string_view name);
const char* ScimProfileName(ScimProfile profile);

struct ScimOptions {
  ScimProfile profile = ScimProfile::kFull;
  int max_results = 200;               // the most resources one page holds (1..10000)
  bool advertise_max_results = true;   // say so in /ServiceProviderConfig's filter.maxResults
  // A quirk for read-back tests (docs/proof.md): a PATCH or PUT that sets a user's `active` to false
  // is answered as done (200 with the resource showing active false), but the user stays active.
  bool keep_active = false;
};

class ScimService {
 public:
  // `state` and `rng` (for resource ids) must outlive the service.
  ScimService(State& state, std::mt19937_64& rng, ScimOptions options = {})
      : state_(state), rng_(rng), options_(options) {}

  // Handles `req`; `sub_path` is the path after "/scim/v2" ("/Users/ID"). `base_url` is
  // "http://host:port", used for meta.location and Location headers.
  Response Handle(const Request& req, std::string_view sub_path, const std::string& base_url);

  // A SCIM error response.
  static Response Error(int status, std::string_view scim_type, std::string_view detail);

 private:
  enum class Kind { kUser, kGroup };
  struct Route;

  Response List(Kind kind, const Request& req, const std::string& base_url) const;
  Response Create(Kind kind, const Request& req, const std::string& base_url);
  Response Get(Kind kind, const std::string& id, const std::string& base_url) const;
  Response Replace(Kind kind, const std::string& id, const Request& req, const std::string& base_url);
  Response Patch(Kind kind, const std::string& id, const Request& req, const std::string& base_url);
  Response Delete(Kind kind, const std::string& id);
  // Replaces `existing` with `changed` and answers with it (unless a quirk keeps it as it was).
  Response Store(Kind kind, boost::json::object& existing, boost::json::object changed, const std::string& base_url);
  Response Discovery(std::string_view sub_path, const std::string& base_url) const;

  std::vector<boost::json::object>& Collection(Kind kind) { return kind == Kind::kUser ? state_.users : state_.groups; }
  const std::vector<boost::json::object>& Collection(Kind kind) const {
    return kind == Kind::kUser ? state_.users : state_.groups;
  }
  boost::json::object* Find(Kind kind, const std::string& id);
  // Render: the resource as clients see it (meta.location, and a user's groups).
  boost::json::object Render(Kind kind, const boost::json::object& resource, const std::string& base_url) const;
  // Checks a resource about to be stored: the unique attribute is present and unused by others,
  // and group members exist. `self_id` is "" for a create.
  std::optional<Response> Check(Kind kind, boost::json::object& resource, const std::string& self_id) const;
  std::string NewId();

  State& state_;
  std::mt19937_64& rng_;
  ScimOptions options_;
};

}  // namespace tenure::sandbox
