// Inputs: checking the values a run is given against the playbook's `inputs:` declarations.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "workflows/diagnostic.h"
#include "workflows/expr.h"
#include "workflows/playbook.h"
#include "workflows/value.h"

namespace tenure::workflows {

// The check of a time zone name against the IANA database: nullopt when `name` is known, else
// why not. Reading the database is I/O, which this library does not do: the engine and the CLI
// provide it (engine::CheckTimeZoneName). Without one, time_zone values are checked for their
// shape only (Area/Location, UTC), as `tenure validate` does for defaults.
using TimeZoneCheck = std::function<std::optional<std::string>(std::string_view name)>;

// Why `v` is not a valid value for `spec` ("expected an email address, got 'bob'"), or nullopt
// when it is. Values of type int/bool given as strings (from --set) are not accepted here:
// CoerceInput converts them first. Lists are checked item by item ("item 2: ..."), maps key by
// key ("key 'email': ...", unknown and missing keys).
std::optional<std::string> CheckInputValue(const InputSpec& spec, const Value& v, const TimeZoneCheck& zones = {});

// The static type of an input's values (for the checks of templates at validation).
ExprType InputExprType(const InputSpec& spec);

// True when `name` has the shape of an IANA time zone name (Europe/Paris, America/Argentina/Salta,
// UTC, Etc/GMT+1).
bool IsTimeZoneShape(std::string_view name);

// Converts a command-line string (--set key=value) to the input's type: "42" -> 42 for int,
// "true"/"false" for bool; for list a JSON/YAML flow list (["a","b, c"], [a, b]: items may be
// quoted and hold commas) or a plain comma list (a,b). Strings stay strings.
Value CoerceInput(const InputSpec& spec, const std::string& text);

// One input value as given, with where it came from (inputs file position, or "--set name").
struct GivenInput {
  std::string name;
  Value value;
  SourceLocation where;
};

// Checks all given values against `specs` at once and returns the complete input map (defaults
// filled in, optional inputs without a value as null). Every unknown name, missing required
// input and bad value is reported to `diags`, each at its location.
// `zones` checks time_zone values (given and defaults) against the IANA database.
Map ResolveInputs(const std::vector<InputSpec>& specs, const std::vector<GivenInput>& given,
                  const SourceLocation& run_where, Diagnostics& diags, const TimeZoneCheck& zones = {});

// Checks "YYYY-MM-DD" is a real calendar date.
bool IsValidDate(std::string_view s);
// Checks RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (seconds optional).
bool IsValidDateTime(std::string_view s);
bool IsValidEmail(std::string_view s);

}  // namespace tenure::workflows
