// Inputs: checking the values a run is given against the playbook's `inputs:` declarations.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "workflows/diagnostic.h"
#include "workflows/playbook.h"
#include "workflows/value.h"

namespace tenure::workflows {

// Why `v` is not a valid value for `spec` ("expected an email address, got 'bob'"), or nullopt
// when it is. Values of type int/bool given as strings (from --set) are not accepted here:
// CoerceInput converts them first.
std::optional<std::string> CheckInputValue(const InputSpec& spec, const Value& v);

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
Map ResolveInputs(const std::vector<InputSpec>& specs, const std::vector<GivenInput>& given,
                  const SourceLocation& run_where, Diagnostics& diags);

// Checks "YYYY-MM-DD" is a real calendar date.
bool IsValidDate(std::string_view s);
// Checks RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (seconds optional).
bool IsValidDateTime(std::string_view s);
bool IsValidEmail(std::string_view s);

}  // namespace tenure::workflows
