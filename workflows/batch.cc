#include "workflows/batch.h"

#include <map>

#include "workflows/render.h"
#include "workflows/suggest.h"
#include "workflows/yaml_tree.h"

namespace tenure::workflows {
namespace {

using Cell = CsvCell;

std::vector<std::string_view> InputNames(const Playbook& pb) {
  std::vector<std::string_view> names;
  for (const InputSpec& s : pb.inputs) names.push_back(s.name);
  return names;
}

void CheckKeys(std::vector<BatchRow>& rows, const std::string& key_column, Diagnostics& diags) {
  if (key_column.empty()) return;
  std::map<std::string, int> seen;
  for (const BatchRow& r : rows) {
    if (r.key.empty()) {
      diags.Error(r.where, "", "row " + std::to_string(r.number) + " has no value in the key column '" + key_column + "'");
      continue;
    }
    auto [it, fresh] = seen.emplace(r.key, r.number);
    if (!fresh) {
      diags.Error(r.where, "", "row " + std::to_string(r.number) + " has the key '" + r.key + "' of row " +
                                    std::to_string(it->second) + " (each person once per batch)");
    }
  }
}

std::vector<BatchRow> ParseCsvBatch(std::string_view path, std::string_view text, const Playbook& pb,
                                    const std::string& key_column, Diagnostics& diags) {
  std::vector<BatchRow> out;
  auto records = ReadCsv(path, text, diags);
  if (diags.HasErrors()) return out;
  if (records.empty()) {
    diags.Error(SourceLocation{std::string(path), 1, 1}, "", "empty batch: expected a header row naming the inputs");
    return out;
  }
  const std::vector<Cell>& header = records[0];
  const auto names = InputNames(pb);
  bool key_found = key_column.empty();
  std::map<std::string, std::size_t> columns;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c].text;
    if (name == key_column) key_found = true;
    if (!columns.emplace(name, c).second) {
      diags.Error(header[c].where, "", "column '" + name + "' appears twice in the header");
    }
    if (name != key_column && pb.FindInput(name) == nullptr) {
      diags.Error(header[c].where, "",
                  "column '" + name + "' is not an input of playbook " + pb.name + DidYouMean(name, names));
    }
  }
  if (!key_found) {
    diags.Error(header[0].where, "", "the key column '" + key_column + "' is not in the header");
  }
  for (std::size_t r = 1; r < records.size(); ++r) {
    const std::vector<Cell>& cells = records[r];
    BatchRow row;
    row.number = static_cast<int>(r);
    row.where = cells[0].where;
    if (cells.size() > header.size()) {
      diags.Error(cells[header.size()].where, "",
                  "row " + std::to_string(r) + " has " + std::to_string(cells.size()) + " cells; the header has " +
                      std::to_string(header.size()));
      continue;
    }
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string& name = header[c].text;
      if (name == key_column) row.key = cells[c].text;
      const InputSpec* spec = pb.FindInput(name);
      if (spec == nullptr || cells[c].text.empty()) continue;  // empty cell: no value (default applies)
      row.values.push_back({name, CoerceInput(*spec, cells[c].text), cells[c].where});
    }
    out.push_back(std::move(row));
  }
  CheckKeys(out, key_column, diags);
  return out;
}

// One mapping (a YAML list item or a JSON line) as a row.
BatchRow RowOf(const YamlNode& node, int number, const Playbook& pb, const std::string& key_column,
               Diagnostics& diags) {
  BatchRow row;
  row.number = number;
  row.where = node.where;
  const auto names = InputNames(pb);
  if (!node.IsMap()) {
    diags.Error(node.where, "", "row " + std::to_string(number) + ": expected a mapping of input name to value, got " +
                                    node.Describe());
    return row;
  }
  for (const YamlEntry& e : node.entries) {
    const std::string& name = e.key.scalar;
    if (name == key_column) row.key = ToValue(e.value).ToText();
    if (pb.FindInput(name) == nullptr) {
      if (name != key_column) {
        diags.Error(e.key.where, "", "'" + name + "' is not an input of playbook " + pb.name + DidYouMean(name, names));
      }
      continue;
    }
    row.values.push_back({name, ToValue(e.value), e.value.where.Known() ? e.value.where : e.key.where});
  }
  return row;
}

}  // namespace

std::vector<std::vector<CsvCell>> ReadCsv(std::string_view path, std::string_view text, Diagnostics& diags) {
  std::vector<std::vector<CsvCell>> rows;
  std::size_t i = 0;
  int line = 1;
  std::size_t line_start = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = line_start = 3;
  const auto loc = [&](std::size_t at) {
    return SourceLocation{std::string(path), line, static_cast<int>(at - line_start) + 1};
  };
  std::vector<CsvCell> row;
  while (i <= text.size()) {
    CsvCell cell;
    cell.where = loc(i);
    bool end_of_record = false;
    if (i < text.size() && text[i] == '"') {
      const SourceLocation open = cell.where;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell.text += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (text[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
        cell.text += text[i++];
      }
      if (!closed) {
        diags.Error(open, "", "unterminated quoted field (a '\"' opens it here and nothing closes it)");
        return rows;
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        diags.Error(loc(i), "", "unexpected text after a quoted field: expected ',' or the end of the line");
        return rows;
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') cell.text += text[i++];
    }
    row.push_back(std::move(cell));
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    // End of record: CRLF, LF, or the end of the text.
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') ++i;
    end_of_record = true;
    const bool blank = row.size() == 1 && row[0].text.empty();
    if (!blank) rows.push_back(std::move(row));
    row.clear();
    ++line;
    line_start = i;
    if (end_of_record && i >= text.size()) break;
  }
  return rows;
}


Result<StartAt> RenderStartAt(const Playbook& pb, const Map& inputs) {
  auto vars = RenderVars(pb, inputs, Map(), nullptr);
  if (!vars) return vars.error();
  Map roots;
  roots.Set("inputs", Value(inputs));
  roots.Set("vars", Value(std::move(*vars)));
  MapScope scope(std::move(roots));
  auto at = RenderNode(*pb.start_at, scope, "start_at");
  if (!at) return at.error();
  auto zone = RenderNode(*pb.time_zone, scope, "time_zone");
  if (!zone) return zone.error();
  if (!at->IsString() || !zone->IsString()) {
    return Error::Type(std::string("start_at and time_zone must render to text, got ") + at->KindName() + " and " +
                       zone->KindName());
  }
  return StartAt{at->AsString(), zone->AsString()};
}

std::string BatchFormat(std::string_view path) {
  const auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".csv")) return "csv";
  if (ends(".jsonl") || ends(".ndjson")) return "jsonl";
  if (ends(".yaml") || ends(".yml") || ends(".json")) return "yaml";
  return "";
}

std::vector<BatchRow> ParseBatch(std::string_view path, std::string_view text, const Playbook& pb,
                                 const std::string& key_column, Diagnostics& diags) {
  const std::string format = BatchFormat(path);
  if (format == "csv") return ParseCsvBatch(path, text, pb, key_column, diags);
  std::vector<BatchRow> out;
  if (format == "jsonl") {
    std::size_t start = 0;
    int line = 0;
    while (start < text.size()) {
      ++line;
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view one = text.substr(start, end - start);
      start = end + 1;
      if (one.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      Diagnostics parse;
      YamlNode node = ParseYaml(one, std::string(path), parse);
      for (Diagnostic d : parse.items()) {
        d.where.line = line;
        diags.Add(std::move(d));
      }
      if (parse.HasErrors()) continue;
      // Locations inside the line: line 1 of the one-line document is `line` of the file.
      std::vector<YamlNode*> stack{&node};
      while (!stack.empty()) {
        YamlNode* n = stack.back();
        stack.pop_back();
        if (n->where.Known()) n->where.line = line;
        for (YamlEntry& e : n->entries) {
          if (e.key.where.Known()) e.key.where.line = line;
          stack.push_back(&e.value);
        }
        for (YamlNode& item : n->items) stack.push_back(&item);
      }
      out.push_back(RowOf(node, static_cast<int>(out.size()) + 1, pb, key_column, diags));
    }
    CheckKeys(out, key_column, diags);
    return out;
  }
  if (format == "yaml") {
    YamlNode root = ParseYaml(text, std::string(path), diags);
    if (diags.HasErrors()) return out;
    if (!root.IsSequence()) {
      diags.Error(root.where.Known() ? root.where : SourceLocation{std::string(path), 1, 1}, "",
                  std::string("a batch must be a list of mappings (one per person), got ") + root.Describe());
      return out;
    }
    for (const YamlNode& item : root.items) {
      out.push_back(RowOf(item, static_cast<int>(out.size()) + 1, pb, key_column, diags));
    }
    CheckKeys(out, key_column, diags);
    return out;
  }
  diags.Error(SourceLocation{std::string(path), 0, 0}, "",
              "unknown batch format: name the file .csv, .jsonl (.ndjson), .yaml (.yml) or .json");
  return out;
}

}  // namespace tenure::workflows
