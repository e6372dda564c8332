// The connector types this tenure binary knows, described for validation, `tenure connectors` and
// docs/connectors.md. The descriptions are data; the implementations live beside them.
#pragma once

#include "workflows/connector_schema.h"

namespace tenure::connectors {

// scim, http, exec, slack, ldap, and the built-in manual and timer connections.
workflows::ConnectorCatalog BuiltinCatalog();

}  // namespace tenure::connectors
