// ConnectorRegistry: makes the Connector for a playbook connection (its type and resolved
// configuration). Built once in cli/ (the composition root) and passed by reference to the engine;
// tests pass their own.
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "connectors/redactor.h"
#include "workflows/playbook.h"

namespace tenure::connectors {

class ConnectorFactory {
 public:
  virtual ~ConnectorFactory() = default;
  // The connector for `conn` (never for the built-in manual/timer connections, which the engine
  // runs itself). Resolves `${env:..}`/`${file:..}` references in conn.config now, registering
  // each value with `redactor`. Errors (kNotFound for a missing secret, kInvalidArgument for bad
  // config) name the connection and the key, never a secret value.
  virtual Result<std::unique_ptr<Connector>> Create(const workflows::ConnectionSpec& conn, Redactor& redactor) = 0;
};

}  // namespace tenure::connectors
