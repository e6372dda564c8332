// Loading: playbook YAML -> Playbook model, every field located, every mistake reported.
//
// The loader checks what one file can tell: YAML syntax, duplicate keys, unknown keys (with a
// "did you mean"), the type of each field, id syntax, input declarations, durations and rates,
// includes (files, parameters, cycles). Cross-references (connections, actions, arguments,
// templates, the graph) are validate.h's job, which needs the connector catalog.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "workflows/diagnostic.h"
#include "workflows/file_reader.h"
#include "workflows/playbook.h"

namespace tenure::workflows {

// Loads `path` and every file it includes (include paths are relative to the including file).
// Diagnostics go to `diags`, each with its source excerpt. When diags.HasErrors() the playbook is
// partial and must only be used to report more diagnostics.
Playbook LoadPlaybook(FileReader& files, const std::string& path, Diagnostics& diags);

// The sections of the format whose keys are fixed; KnownKeys lists them (for the JSON Schema
// agreement test and docs).
enum class Section { kTop, kInput, kConnection, kDefaults, kRetry, kTask, kCompensate, kInclude, kLibrary };
std::span<const std::string_view> KnownKeys(Section s);

// Parses "30s", "5m", "2h", "7d", "500ms", "1h30m". Errors name the accepted forms.
Result<Duration> ParseDuration(std::string_view text);
// "1h30m", "30s", "250ms": the shortest exact spelling.
std::string FormatDuration(Duration d);
// Parses "20/s", "100/m", "1000/h" into operations per second.
Result<double> ParseRate(std::string_view text);

// True for ids of tasks, inputs, vars, connections and includes: [a-z][a-z0-9_]*, at most 64 bytes.
bool IsValidId(std::string_view id);

}  // namespace tenure::workflows
