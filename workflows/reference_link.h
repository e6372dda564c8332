#pragma once
// Where the language reference (docs/playbooks.md) explains the rule a diagnostic is about, so
// that `tenure validate` can print a link next to each problem.

#include <string>
#include <string_view>
#include <vector>

namespace tenure::workflows {

// The reference page every link points into, relative to the source tree (installed under
// share/doc/tenure/).
inline constexpr std::string_view kReferencePage = "docs/playbooks.md";

// The anchor in kReferencePage for a diagnostic's field path, with names replaced by their kind:
// "tasks.account.for_each" -> "tasks.id.for_each", "inputs.email.type" -> "inputs.name.type",
// "connections.idp.rate" -> "connections.name.rate", "defaults.retry.attempts" -> "defaults".
// Empty for a path no rule is about (the file as a whole: "").
std::string ReferenceAnchor(std::string_view path);

// "docs/playbooks.md#ANCHOR", or empty when ReferenceAnchor(path) is. Two kinds of message have
// a more precise rule than their path: a filter's (unknown, wrong arguments, wrong type:
// "docs/expressions.md#filters") and a result read without `needs` ("...#tasks.id.needs").
std::string ReferenceLink(std::string_view path, std::string_view message = {});

// Every anchor ReferenceAnchor can return, for the test that checks each exists in the page.
std::vector<std::string> ReferenceAnchors();

// Every link ReferenceLink can return that is not kReferencePage#ReferenceAnchor(...).
std::vector<std::string> OtherReferenceLinks();

}  // namespace tenure::workflows
