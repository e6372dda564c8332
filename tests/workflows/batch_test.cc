// Batches of inputs from HR exports: CSV (RFC 4180), JSON Lines and YAML, each problem at its
// row and column.
#include "workflows/batch.h"

#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"

namespace tenure::workflows {
namespace {

using Strings = std::vector<std::string>;

const char* const kPlaybook = R"(playbook: hires
inputs:
  email: { type: email }
  first_name: { type: string }
  groups: { type: list, default: [] }
  start: { type: date, required: false }
tasks:
  hello: { uses: manual.task, with: { prompt: "Welcome {{ inputs.first_name }}" } }
)";

Strings Lines(const Diagnostics& d) {
  Strings out;
  for (const auto& x : d.items()) out.push_back(x.where.ToString() + ": " + x.message);
  return out;
}

Playbook Pb() {
  auto c = testing::Check(kPlaybook);
  REQUIRE_FALSE(c.diags.HasErrors());
  return c.pb;
}

TEST_CASE("a CSV batch: header, quoted cells with commas, quotes and line breaks, empty cells", "[batch]") {
  const Playbook pb = Pb();
  Diagnostics d;
  const std::string csv =
      "\xEF\xBB\xBF" "employee_id,email,first_name,groups,start\r\n"
      "E1,ada@example.com,Ada,\"[everyone, eng]\",2026-12-01\r\n"
      "E2,bob@example.com,\"Bob \"\"Bobby\"\", Jr.\",,\n"
      "\n"
      "E3,cy@example.com,\"Cy\nMulti\",everyone,\n";
  auto rows = ParseBatch("hires.csv", csv, pb, "employee_id", d);
  INFO(Lines(d).size());
  CHECK(Lines(d).empty());
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].key == "E1");
  CHECK(rows[0].number == 1);
  CHECK(rows[0].where.ToString() == "hires.csv:2:1");
  REQUIRE(rows[0].values.size() == 4);
  CHECK(rows[0].values[2].name == "groups");
  CHECK(rows[0].values[2].value.IsList());
  CHECK(rows[0].values[2].value.AsList().size() == 2);
  CHECK(rows[0].values[2].where.ToString() == "hires.csv:2:24");
  CHECK(rows[1].values[1].value.AsString() == "Bob \"Bobby\", Jr.");
  CHECK(rows[1].values.size() == 2);  // groups and start are empty: absent, defaults apply
  CHECK(rows[2].where.ToString() == "hires.csv:5:1");
  CHECK(rows[2].values[1].value.AsString() == "Cy\nMulti");
  CHECK(rows[2].values[2].where.ToString() == "hires.csv:6:8");
}

TEST_CASE("CSV batch errors name the row, the line and the column", "[batch]") {
  const Playbook pb = Pb();
  Diagnostics d;
  ParseBatch("hires.csv",
             "employee_id,emial,first_name\n"
             "E1,ada@example.com,Ada\n"
             "E1,bob@example.com,Bob,extra\n"
             ",cy@example.com,Cy\n"
             "E1,dee@example.com,Dee\n",
             pb, "employee_id", d);
  CHECK(Lines(d) == Strings{
                        "hires.csv:1:13: column 'emial' is not an input of playbook hires (did you mean 'email'?)",
                        "hires.csv:3:24: row 2 has 4 cells; the header has 3",
                        "hires.csv:4:1: row 3 has no value in the key column 'employee_id'",
                        "hires.csv:5:1: row 4 has the key 'E1' of row 1 (each person once per batch)",
                    });
  Diagnostics q;
  ParseBatch("hires.csv", "email,first_name\n\"ada@example.com,Ada\n", pb, "", q);
  CHECK(Lines(q) == Strings{"hires.csv:2:1: unterminated quoted field (a '\"' opens it here and nothing closes it)"});
  Diagnostics k;
  ParseBatch("hires.csv", "email,first_name\na@b.co,A\n", pb, "employee_id", k);
  CHECK(Lines(k) == Strings{"hires.csv:1:1: the key column 'employee_id' is not in the header",
                            "hires.csv:2:1: row 1 has no value in the key column 'employee_id'"});
}

TEST_CASE("JSON Lines and YAML batches", "[batch]") {
  const Playbook pb = Pb();
  Diagnostics d;
  auto rows = ParseBatch("hires.jsonl",
                         "{\"employee_id\": \"E1\", \"email\": \"ada@example.com\", \"first_name\": \"Ada\", "
                         "\"groups\": [\"everyone\"]}\n"
                         "\n"
                         "{\"employee_id\": \"E2\", \"email\": \"bob@example.com\", \"frist_name\": \"Bob\"}\n",
                         pb, "employee_id", d);
  CHECK(Lines(d) == Strings{"hires.jsonl:3:51: 'frist_name' is not an input of playbook hires (did you mean "
                            "'first_name'?)"});
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].key == "E2");
  CHECK(rows[1].where.line == 3);
  CHECK(rows[0].values[2].value.IsList());

  Diagnostics y;
  auto yrows = ParseBatch("hires.yaml",
                          "- { employee_id: E1, email: ada@example.com, first_name: Ada }\n"
                          "- employee_id: E2\n  email: bob@example.com\n  first_name: Bob\n",
                          pb, "employee_id", y);
  CHECK(Lines(y).empty());
  REQUIRE(yrows.size() == 2);
  CHECK(yrows[1].values[0].where.ToString() == "hires.yaml:3:10");
  Diagnostics bad;
  ParseBatch("hires.yaml", "email: a@b.co\n", pb, "", bad);
  CHECK(Lines(bad) == Strings{"hires.yaml:1:1: a batch must be a list of mappings (one per person), got a mapping"});
  Diagnostics fmt;
  ParseBatch("hires.xlsx", "", pb, "", fmt);
  CHECK(Lines(fmt) ==
        Strings{"hires.xlsx: unknown batch format: name the file .csv, .jsonl (.ndjson), .yaml (.yml) or .json"});
}

TEST_CASE("each row's values are checked by ResolveInputs at their cells", "[batch]") {
  const Playbook pb = Pb();
  Diagnostics d;
  auto rows = ParseBatch("hires.csv", "email,first_name,start\nnot-an-email,Ada,2026-02-30\n", pb, "", d);
  REQUIRE(rows.size() == 1);
  Diagnostics r;
  ResolveInputs(pb.inputs, rows[0].values, rows[0].where, r);
  const Strings lines = Lines(r);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("hires.csv:2:1: ", 0) == 0);
  CHECK(lines[1].rfind("hires.csv:2:18: ", 0) == 0);
}

}  // namespace
}  // namespace tenure::workflows
