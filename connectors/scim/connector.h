// The `scim` connector: SCIM 2.0 (RFC 7643/7644) Users and Groups against any provider.
//
// Behaviour per action (arguments as in connectors/catalog.cc):
//   ensure_user      look up by userName (filter, verified; scan fallback, see client.h); create
//                    if absent; PATCH what differs (PUT when PATCH is unsupported); a 409 on
//                    create means someone else created it: look up again and adopt. Never
//                    creates a second account.
//   get_user         by id or userName; absent -> Failed kNotFound
//   update_user      like ensure_user's update half, on an existing user
//   deactivate_user / reactivate_user   PATCH active (nothing sent when it already matches)
//   delete_user      404 / absent -> success (already gone)
//   ensure_group     look up by displayName, create if absent (409 -> adopt)
//   add_to_group     already a member -> success {added:false}; unknown `group` -> kNotFound
//                    unless create_missing
//   remove_from_group  not a member / noTarget / no such group -> success {removed:false}
//   remove_from_all_groups  the groups are found from the user's `groups` attribute; without
//                    one, with a `members[value eq ..]` filter; when the provider refuses that
//                    (400 invalidFilter, 501; eq-only providers) or has no filter support, by
//                    reading every group with its members and matching here. Result
//                    {id, groups:[{id, displayName}]} lists the groups left. Only direct
//                    memberships are removed. If one removal fails the action fails; a retry
//                    lists only the groups still held (those left earlier are gone from the
//                    result: the engine keeps no partial results).
//   list_users / list_groups  all pages
// Results always hold `id`. Provider differences tolerated: PATCH answered with 204 and no body
// (the resource is read back), POST without body or Location (looked up), string booleans,
// attribute-name case, application/json instead of application/scim+json, members without
// `display`, `attributes=` ignored, `count` capped below what was asked, totalResults omitted
// (pages are read until an empty one), a PATCH value path refused (the group is PUT instead,
// with If-Match when the provider supports ETags).
//
// Adapting: /ServiceProviderConfig is read once per connection (patch, filter, maxResults, bulk,
// etag, sort; a 404 means the conservative defaults of client.h), /ResourceTypes and /Schemas
// once per connection when an offboarding needs them. What the connector learns at use (a filter
// refused) is remembered for the connection. Whenever it takes a slower path it says so once per
// connection: a `notes` list of sentences in the result of the first action that succeeds
// afterwards (connectors have no log of their own; the engine stores results with the run).

#pragma once

#include <memory>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "connectors/scim/client.h"
#include "workflows/value.h"

namespace tenure::connectors::scim {

// The connector's settings from a resolved connection config (base_url, token or
// username/password, ca_file, page_size). InvalidArgument naming the key on a bad one.
Result<ScimConfig> ParseScimConfig(const Map& config);

// `transport` and `redactor` must outlive the connector. Engine executor only.
std::unique_ptr<Connector> MakeScimConnector(ScimConfig config, http::HttpTransport& transport,
                                             const Redactor& redactor);

}  // namespace tenure::connectors::scim
