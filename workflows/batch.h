// Batches: many runs' inputs from one HR export. One row per person, in CSV (RFC 4180, a header
// row naming the inputs), JSON Lines (one object per line) or YAML/JSON (a list of mappings).
// Pure: the caller reads the file; every problem is a diagnostic at file:line:col of its cell.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workflows/diagnostic.h"
#include "workflows/error.h"
#include "workflows/inputs.h"
#include "workflows/playbook.h"

namespace tenure::workflows {

struct BatchRow {
  int number = 0;             // 1-based, counting data rows only (the CSV header is not a row)
  SourceLocation where;       // the row's first line
  std::vector<GivenInput> values;  // present cells, each located at its cell; empty CSV cells are absent
  std::string key;            // the key column's value ("" when no key column was asked for)
};

// One CSV cell and where it starts (1-based line and column of its first byte).
struct CsvCell {
  std::string text;
  SourceLocation where;
};
// RFC 4180 records of `text` (the content of `path`): fields separated by ',', records by CRLF
// or LF, quoted fields may hold commas, line breaks and "" for a quote; a UTF-8 byte order mark is
// skipped; blank lines are left out. An unterminated quote or text after a closing quote is
// reported to `diags` (with its location) and ends the reading.
std::vector<std::vector<CsvCell>> ReadCsv(std::string_view path, std::string_view text, Diagnostics& diags);

// The format of a batch file, from its extension: "csv", "jsonl" (.jsonl, .ndjson), "yaml" (.yaml,
// .yml, .json), or "" when unknown.
std::string BatchFormat(std::string_view path);

// Parses `text` (the content of `path`) into rows. Columns must be the playbook's inputs, except
// `key_column` (which may also be an input). Reports to `diags`: malformed CSV (unterminated quote,
// a row with more cells than the header), unknown columns (with "did you mean"), a row without a
// key, two rows with the same key, and values that cannot be converted. Values are coerced to the
// inputs' types as `--set` does (CSV cells are text). Checking values against the inputs
// (required, patterns) is ResolveInputs' job, per row, with these locations.
std::vector<BatchRow> ParseBatch(std::string_view path, std::string_view text, const Playbook& pb,
                                 const std::string& key_column, Diagnostics& diags);

// The playbook's own start instant for `inputs`: `start_at` and `time_zone` rendered over inputs
// and vars, as text ("2026-12-18T16:00", "Europe/Berlin"). Errors name the key and the template.
// REQUIRES: pb.start_at and pb.time_zone are set.
struct StartAt {
  std::string at;
  std::string time_zone;
};
Result<StartAt> RenderStartAt(const Playbook& pb, const Map& inputs);

}  // namespace tenure::workflows
