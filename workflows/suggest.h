// "Did you mean ...?" for misspelt keys, names and filters.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tenure::workflows {

// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
// (distance <= 2, and less than half the word's length), else nullopt.
std::optional<std::string> Suggest(std::string_view word, std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" or "" when there is no likely candidate.
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace tenure::workflows
