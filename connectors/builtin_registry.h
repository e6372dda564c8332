// The ConnectorFactory for the connector types built into tenure: scim, http, exec, slack, ldap,
// google, msgraph. (The
// engine runs the manual and timer connections itself.) Built once in cli/, the composition root.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "connectors/exec/process_runner.h"
#include "connectors/http/transport.h"
#include "connectors/registry.h"
#include "connectors/secrets.h"

namespace tenure::connectors {

// The real registry: secrets from the environment and the file system, programs through
// posix_spawn, HTTP through `transport`. `transport` must outlive the registry and every connector
// it makes; so must the Redactor passed to Create. `ex` is the engine's executor (connectors run
// their I/O on the executor of the coroutine that invokes them, which is this one).
std::unique_ptr<ConnectorFactory> MakeBuiltinRegistry(boost::asio::any_io_executor ex, http::HttpTransport& transport);

// The same with every seam given (tests): all must outlive the registry and its connectors.
std::unique_ptr<ConnectorFactory> MakeBuiltinRegistry(http::HttpTransport& transport, SecretResolver& secrets,
                                                      exec::ProcessRunner& runner);

}  // namespace tenure::connectors
