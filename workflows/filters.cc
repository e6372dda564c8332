// The filters of the expression language. Each takes the piped value and its arguments (already
// evaluated, counts already checked by the parser) and returns a Value or an Error.
#include "workflows/filters.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_set>
#include <vector>

#include "workflows/expr.h"
#include "workflows/civil_date.h"
#include "workflows/loader.h"

namespace tenure::workflows::internal {
namespace {

using Args = std::span<const Value>;

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

Error InputTypeError(std::string_view filter, std::string_view expected, const Value& got) {
  return Error::Type("filter " + Quote(filter) + " expects " + std::string(expected) + ", got " +
                     got.KindName());
}

Error ArgTypeError(std::string_view filter, std::size_t index, std::string_view expected, const Value& got) {
  return Error::Type("filter " + Quote(filter) + " expects " + std::string(expected) + " as argument " +
                     std::to_string(index + 1) + ", got " + got.KindName());
}

Error TooLarge(std::string_view filter) {
  return Error::InvalidArgument("result of filter " + Quote(filter) + " is too large (over " +
                                std::to_string(kMaxStringBytes) + " bytes)");
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool IsAsciiAlnum(char c) { return (c >= '0' && c <= '9') || AsciiLower(c) != AsciiUpper(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// ---- strings ----

Result<Value> CaseFilter(std::string_view name, const Value& in, Args) {
  if (!in.IsString()) return InputTypeError(name, "a string", in);
  std::string s = in.AsString();
  bool word_start = true;
  for (char& c : s) {
    if (name == "lower") c = AsciiLower(c);
    if (name == "upper") c = AsciiUpper(c);
    if (name == "capitalize") c = (&c == s.data()) ? AsciiUpper(c) : AsciiLower(c);
    if (name == "title") {
      const char mapped = word_start ? AsciiUpper(c) : AsciiLower(c);
      word_start = !IsAsciiAlnum(c) && static_cast<unsigned char>(c) < 0x80 && c != '\'';
      c = mapped;
    }
  }
  return Value(std::move(s));
}

Result<Value> Trim(std::string_view name, const Value& in, Args) {
  if (!in.IsString()) return InputTypeError(name, "a string", in);
  std::string_view s = in.AsString();
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return Value(s);
}

Result<Value> Default(std::string_view, const Value& in, Args args) { return in.IsNull() ? args[0] : in; }

// `x | mandatory('why')`: x, or an error saying why it may not be null (a run stops there).
Result<Value> Mandatory(std::string_view name, const Value& in, Args args) {
  if (!args[0].IsString()) return ArgTypeError(name, 0, "a string", args[0]);
  if (!in.IsNull()) return in;
  return Error::InvalidArgument(args[0].AsString());
}

Result<Value> Replace(std::string_view name, const Value& in, Args args) {
  if (!in.IsString()) return InputTypeError(name, "a string", in);
  for (std::size_t i = 0; i < 2; ++i) {
    if (!args[i].IsString()) return ArgTypeError(name, i, "a string", args[i]);
  }
  const std::string& s = in.AsString();
  const std::string& old_text = args[0].AsString();
  const std::string& new_text = args[1].AsString();
  if (old_text.empty()) return Error::InvalidArgument("filter 'replace' needs a non-empty string to replace");
  std::vector<std::size_t> hits;
  for (std::size_t at = FindText(s, old_text); at != std::string::npos; at = FindText(s, old_text, at + old_text.size())) {
    hits.push_back(at);
  }
  if (new_text.size() > old_text.size() &&
      hits.size() > (kMaxStringBytes - std::min(s.size(), kMaxStringBytes)) / (new_text.size() - old_text.size())) {
    return TooLarge(name);
  }
  std::string out;
  std::size_t from = 0;
  for (std::size_t at : hits) {
    out.append(s, from, at - from).append(new_text);
    from = at + old_text.size();
  }
  out.append(s, from);
  return Value(std::move(out));
}

// Lower-case ASCII for the UTF-8 letters U+00C0..U+017F (Latin-1 Supplement, Latin Extended-A),
// or "" (a separator).
std::string_view Transliterate(unsigned code_point) {
  static constexpr std::array<std::string_view, 64> kLatin1 = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // C0
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};  // F0
  static constexpr std::string_view kExtendedA =
      "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkklllllll"   // U+0100
      "lllnnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";  // U+0140
  static_assert(kExtendedA.size() == 0x80);
  if (code_point >= 0xC0 && code_point <= 0xFF) return kLatin1[code_point - 0xC0];
  if (code_point < 0x100 || code_point > 0x17F) return "";
  if (code_point == 0x132 || code_point == 0x133) return "ij";
  if (code_point == 0x152 || code_point == 0x153) return "oe";
  return kExtendedA.substr(code_point - 0x100, 1);
}

Result<Value> Slug(std::string_view name, const Value& in, Args) {
  if (!in.IsString()) return InputTypeError(name, "a string", in);
  const std::string& s = in.AsString();
  std::string out;
  bool pending_dash = false;
  auto emit = [&](std::string_view letters) {
    if (letters.empty()) {
      pending_dash = !out.empty();
      return;
    }
    if (pending_dash) out += '-';
    pending_dash = false;
    for (char c : letters) out += AsciiLower(c);
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      emit(IsAsciiAlnum(s[i]) ? std::string_view(&s[i], 1) : "");
    } else if (lead >= 0xC3 && lead <= 0xC5 && i + 1 < s.size() && (s[i + 1] & 0xC0) == 0x80) {
      emit(Transliterate(((lead & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu)));
      ++i;
    } else {
      emit("");
    }
  }
  return Value(std::move(out));
}

Result<Value> SlackEscapeFilter(std::string_view name, const Value& in, Args) {
  if (!in.IsString() && !in.IsNumber()) return InputTypeError(name, "a string", in);
  return Value(SlackEscape(in.ToText()));
}

Result<Value> Urlencode(std::string_view name, const Value& in, Args) {
  if (!in.IsString() && !in.IsNumber()) return InputTypeError(name, "a string", in);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in.ToText()) {
    if (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return Value(std::move(out));
}

Result<Value> Split(std::string_view name, const Value& in, Args args) {
  if (!in.IsString()) return InputTypeError(name, "a string", in);
  if (!args[0].IsString()) return ArgTypeError(name, 0, "a string", args[0]);
  const std::string& s = in.AsString();
  const std::string& sep = args[0].AsString();
  if (sep.empty()) return Error::InvalidArgument("filter 'split' needs a non-empty separator");
  List out;
  std::size_t from = 0;
  for (std::size_t at = FindText(s, sep); at != std::string::npos; at = FindText(s, sep, from)) {
    out.emplace_back(s.substr(from, at - from));
    from = at + sep.size();
  }
  out.emplace_back(s.substr(from));
  return Value(std::move(out));
}

Result<Value> Join(std::string_view name, const Value& in, Args args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  if (!args.empty() && !args[0].IsString()) return ArgTypeError(name, 0, "a string", args[0]);
  const std::string sep = args.empty() ? "," : args[0].AsString();
  std::string out;
  for (std::size_t i = 0; i < in.AsList().size(); ++i) {
    if (i > 0) out += sep;
    out += in.AsList()[i].ToText();
    if (out.size() > kMaxStringBytes) return TooLarge(name);
  }
  return Value(std::move(out));
}

Result<Value> ToString(std::string_view name, const Value& in, Args) {
  std::string text = in.ToText();
  if (text.size() > kMaxStringBytes) return TooLarge(name);
  return Value(std::move(text));
}

Result<Value> Json(std::string_view name, const Value& in, Args) {
  std::string text = in.ToJson();
  if (text.size() > kMaxStringBytes) return TooLarge(name);
  return Value(std::move(text));
}

Result<Value> ToInt(std::string_view name, const Value& in, Args) {
  if (in.IsInt()) return in;
  if (in.IsBool()) return Value(in.AsBool() ? 1 : 0);
  if (in.IsDouble()) {
    const double d = in.AsDouble();
    if (!(d > -9.2e18 && d < 9.2e18)) return Error::InvalidArgument("filter 'int' cannot convert " + in.ToText() + " to an int");
    return Value(static_cast<std::int64_t>(d));
  }
  if (!in.IsString()) return InputTypeError(name, "a string or number", in);
  std::string_view s = in.AsString();
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return Error::InvalidArgument("filter 'int' cannot convert " + Quote(in.AsString()) + " to an int");
  }
  return Value(n);
}

// ---- collections ----

Result<Value> Length(std::string_view name, const Value& in, Args) {
  if (in.IsList()) return Value(static_cast<std::int64_t>(in.AsList().size()));
  if (in.IsMap()) return Value(static_cast<std::int64_t>(in.AsMap().size()));
  if (!in.IsString()) return InputTypeError(name, "a string, list or map", in);
  std::int64_t code_points = 0;
  for (char c : in.AsString()) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return Value(code_points);
}

Result<Value> FirstLast(std::string_view name, const Value& in, Args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  if (in.AsList().empty()) return Value();
  return name == "first" ? in.AsList().front() : in.AsList().back();
}

Result<Value> KeysValues(std::string_view name, const Value& in, Args) {
  if (!in.IsMap()) return InputTypeError(name, "a map", in);
  List out;
  for (const auto& [key, value] : in.AsMap()) out.push_back(name == "keys" ? Value(key) : value);
  return Value(std::move(out));
}

// A key equal for equal values (1 and 1.0 alike), for `unique`.
std::string UniqueKey(const Value& v) {
  if (v.IsDouble() && std::trunc(v.AsDouble()) == v.AsDouble() && std::abs(v.AsDouble()) < 9e18) {
    return "n" + std::to_string(static_cast<std::int64_t>(v.AsDouble()));
  }
  if (v.IsInt()) return "n" + std::to_string(v.AsInt());
  return v.IsString() ? "s" + v.AsString() : "j" + v.ToJson();
}

Result<Value> Unique(std::string_view name, const Value& in, Args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  std::unordered_set<std::string> seen;
  List out;
  for (const Value& item : in.AsList()) {
    if (seen.insert(UniqueKey(item)).second) out.push_back(item);
  }
  return Value(std::move(out));
}

bool NumberLess(const Value& a, const Value& b) {
  if (a.IsInt() && b.IsInt()) return a.AsInt() < b.AsInt();
  return a.AsDouble() < b.AsDouble();
}

// ---- dates ----

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2), month, doy - (153 * mp + 2) / 5 + 1};
}

bool IsLeap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// A date or RFC 3339 datetime; `suffix` is everything after YYYY-MM-DD (time and offset), kept
// verbatim by add_days.
struct DateTime {
  CivilDate date;
  int hour = 0, minute = 0, second = 0;
  std::string_view suffix;
  std::string zone;  // "+0200" for %z; "" for a plain date
};

// Reads `count` digits at `s[at]`, or -1.
int Digits(std::string_view s, std::size_t at, std::size_t count) {
  if (at + count > s.size()) return -1;
  int n = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    n = n * 10 + (s[i] - '0');
  }
  return n;
}

bool ParseTime(std::string_view s, DateTime& dt) {  // s: "HH:MM:SS[.fff](Z|+HH:MM)"
  dt.hour = Digits(s, 0, 2), dt.minute = Digits(s, 3, 2), dt.second = Digits(s, 6, 2);
  if (s.size() < 9 || s[2] != ':' || s[5] != ':' || dt.hour < 0 || dt.hour > 23 || dt.minute < 0 ||
      dt.minute > 59 || dt.second < 0 || dt.second > 60) {
    return false;
  }
  std::size_t at = 8;
  if (s[at] == '.') {
    ++at;
    if (Digits(s, at, 1) < 0) return false;
    while (Digits(s, at, 1) >= 0) ++at;
  }
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    dt.zone = "+0000";
    return true;
  }
  const int oh = Digits(s, at + 1, 2), om = Digits(s, at + 4, 2);
  if (at + 6 != s.size() || (s[at] != '+' && s[at] != '-') || s[at + 3] != ':' || oh < 0 || oh > 23 || om < 0 || om > 59) {
    return false;
  }
  dt.zone = std::string(1, s[at]) + std::string(s.substr(at + 1, 2)) + std::string(s.substr(at + 4, 2));
  return true;
}

Result<DateTime> ParseDateTime(std::string_view filter, const Value& in) {
  if (!in.IsString()) return InputTypeError(filter, "a date string", in);
  const std::string_view s = in.AsString();
  DateTime dt;
  const int y = Digits(s, 0, 4), m = Digits(s, 5, 2), d = Digits(s, 8, 2);
  bool ok = s.size() >= 10 && s[4] == '-' && s[7] == '-' && y >= 0 && m >= 1 && m <= 12 && d >= 1 &&
            static_cast<unsigned>(d) <= DaysInMonth(y, static_cast<unsigned>(m));
  if (ok && s.size() > 10) ok = (s[10] == 'T' || s[10] == 't') && ParseTime(s.substr(11), dt);
  if (!ok) {
    return Error::InvalidArgument("filter " + Quote(filter) + " expects a date (YYYY-MM-DD) or RFC 3339 datetime, got " +
                                  Quote(s.substr(0, 64)));
  }
  dt.date = {y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
  dt.suffix = s.substr(10);
  return dt;
}

std::string Pad(std::int64_t n, int width, char fill = '0') {
  std::string s = std::to_string(n);
  return s.size() < static_cast<std::size_t>(width) ? std::string(width - s.size(), fill) + s : s;
}

Result<Value> AddDays(std::string_view name, const Value& in, Args args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  if (!args[0].IsInt()) return ArgTypeError(name, 0, "an int", args[0]);
  const std::int64_t n = args[0].AsInt();
  const std::int64_t days = DaysFromCivil(dt->date.year, dt->date.month, dt->date.day);
  const CivilDate out = CivilFromDays(days + std::clamp<std::int64_t>(n, -4'000'000, 4'000'000));
  if (out.year < 0 || out.year > 9999) {
    return Error::InvalidArgument("filter 'add_days': " + in.AsString() + " plus " + std::to_string(n) +
                                  " days is out of range");
  }
  return Value(Pad(out.year, 4) + "-" + Pad(out.month, 2) + "-" + Pad(out.day, 2) + std::string(dt->suffix));
}

constexpr std::array<std::string_view, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                      "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kWeekdays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

// The expansion of `%c`, or nullopt for an unknown directive.
std::optional<std::string> Directive(char c, const DateTime& dt) {
  const CivilDate& d = dt.date;
  const std::int64_t days = DaysFromCivil(d.year, d.month, d.day);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  switch (c) {
    case 'Y': return Pad(d.year, 4);
    case 'y': return Pad(d.year % 100, 2);
    case 'm': return Pad(d.month, 2);
    case 'd': return Pad(d.day, 2);
    case 'e': return Pad(d.day, 2, ' ');
    case 'H': return Pad(dt.hour, 2);
    case 'M': return Pad(dt.minute, 2);
    case 'S': return Pad(dt.second, 2);
    case 'B': return std::string(kMonths[d.month - 1]);
    case 'b': return std::string(kMonths[d.month - 1].substr(0, 3));
    case 'A': return std::string(kWeekdays[weekday]);
    case 'a': return std::string(kWeekdays[weekday].substr(0, 3));
    case 'j': return Pad(days - DaysFromCivil(d.year, 1, 1) + 1, 3);
    case 'z': return dt.zone;
    case '%': return "%";
    default: return std::nullopt;
  }
}

Result<Value> FormatDate(std::string_view name, const Value& in, Args args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  if (!args[0].IsString()) return ArgTypeError(name, 0, "a string", args[0]);
  const std::string& fmt = args[0].AsString();
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i == fmt.size()) return Error::InvalidArgument("filter 'format_date': the format ends with a lone '%'");
    auto piece = Directive(fmt[i], *dt);
    if (!piece) return Error::InvalidArgument("filter 'format_date': unknown directive '%" + std::string(1, fmt[i]) + "'");
    out += *piece;
  }
  return Value(std::move(out));
}


// ---- list and map filters ----

Result<Value> ListArg(std::string_view name, const Value& in, Args args, const List** out) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  if (!args[0].IsList()) return ArgTypeError(name, 0, "a list", args[0]);
  *out = &args[0].AsList();
  return Value();
}

// difference / intersect / union: set operations that keep the order of first appearance and
// never repeat an item (items compare as `==` does: 1 and 1.0 alike).
Result<Value> SetOp(std::string_view name, const Value& in, Args args) {
  const List* other = nullptr;
  if (auto bad = ListArg(name, in, args, &other); !bad) return bad;
  std::unordered_set<std::string> in_other;
  for (const Value& v : *other) in_other.insert(UniqueKey(v));
  std::unordered_set<std::string> seen;
  List out;
  for (const Value& v : in.AsList()) {
    const std::string key = UniqueKey(v);
    const bool keep = name == "union" || (name == "difference") != (in_other.count(key) > 0);
    if (keep && seen.insert(key).second) out.push_back(v);
  }
  if (name == "union") {
    for (const Value& v : *other) {
      if (seen.insert(UniqueKey(v)).second) out.push_back(v);
    }
  }
  return Value(std::move(out));
}

Result<Value> Contains(std::string_view name, const Value& in, Args args) {
  if (in.IsList()) {
    const List& list = in.AsList();
    return Value(std::find(list.begin(), list.end(), args[0]) != list.end());
  }
  if (!in.IsString() && !in.IsMap()) return InputTypeError(name, "a list, string or map", in);
  if (!args[0].IsString()) return ArgTypeError(name, 0, "a string", args[0]);
  if (in.IsMap()) return Value(in.AsMap().Contains(args[0].AsString()));
  return Value(FindText(in.AsString(), args[0].AsString()) != std::string::npos);
}

// The attribute `attribute` (a dotted path: 'manager.email') of `item`, with the null semantics
// of member access.
Result<Value> Attribute(std::string_view name, const Value& item, const std::string& attribute) {
  Value current = item;
  std::size_t from = 0;
  while (from <= attribute.size()) {
    const std::size_t dot = std::min(attribute.find('.', from), attribute.size());
    const std::string part = attribute.substr(from, dot - from);
    if (current.IsNull()) return Value();
    if (!current.IsMap()) {
      return Error::Type("filter " + Quote(name) + " cannot read attribute " + Quote(attribute) + " of a " +
                         current.KindName());
    }
    const Value* next = current.AsMap().Find(part);
    current = next == nullptr ? Value() : *next;
    from = dot + 1;
  }
  return current;
}

// The tests of select/reject: select('eq', 'Sales', attribute='department').
constexpr std::string_view kTests[] = {"truthy", "null", "eq", "ne", "lt", "le", "gt", "ge",
                                       "in", "contains", "startswith", "endswith"};

Result<bool> RunTest(std::string_view name, std::string_view test, const Value& v, const Value& arg) {
  if (test == "truthy") return v.Truthy();
  if (test == "null") return v.IsNull();
  if (test == "eq") return v == arg;
  if (test == "ne") return !(v == arg);
  static constexpr std::pair<std::string_view, std::string_view> kOrder[] = {{"lt", "<"}, {"le", "<="}, {"gt", ">"}, {"ge", ">="}};
  for (auto [t, op] : kOrder) {
    if (test != t) continue;
    auto r = Compare(op, v, arg);
    if (!r) return r.error();
    return r->AsBool();
  }
  if (test == "in" || test == "contains") {
    auto r = test == "in" ? Compare("in", v, arg) : Compare("in", arg, v);
    if (!r) return Error::Type("filter " + Quote(name) + ", test " + Quote(test) + ": " + r.error().message);
    return r->AsBool();
  }
  if (!v.IsString() || !arg.IsString()) {
    return Error::Type("filter " + Quote(name) + ", test " + Quote(test) + " compares strings, got " + v.KindName() +
                       " and " + arg.KindName());
  }
  const std::string& s = v.AsString();
  const std::string& a = arg.AsString();
  return test == "startswith" ? s.starts_with(a) : s.ends_with(a);
}

// select(test = 'truthy', value = null, attribute = null); reject keeps the others.
Result<Value> SelectReject(std::string_view name, const Value& in, Args args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  std::string_view test = "truthy";
  if (args.size() > 0 && !args[0].IsNull()) {
    if (!args[0].IsString()) return ArgTypeError(name, 0, "a test name", args[0]);
    test = args[0].AsString();
    if (std::find(std::begin(kTests), std::end(kTests), test) == std::end(kTests)) {
      std::string known;
      for (std::string_view t : kTests) known += (known.empty() ? "" : ", ") + std::string(t);
      return Error::InvalidArgument("filter " + Quote(name) + ": unknown test " + Quote(test) + "; tests: " + known);
    }
  }
  const Value none;
  const Value& value = args.size() > 1 ? args[1] : none;
  const bool by_attribute = args.size() > 2 && !args[2].IsNull();
  if (by_attribute && !args[2].IsString()) return ArgTypeError(name, 2, "a string (attribute)", args[2]);
  List out;
  for (const Value& item : in.AsList()) {
    Value subject = item;
    if (by_attribute) {
      auto a = Attribute(name, item, args[2].AsString());
      if (!a) return a.error();
      subject = std::move(*a);
    }
    auto hit = RunTest(name, test, subject, value);
    if (!hit) return hit.error();
    if (*hit == (name == "select")) out.push_back(item);
  }
  return Value(std::move(out));
}

// map(filter) applies a filter without arguments to each item; map(attribute='x') reads x of each.
Result<Value> MapFilter(std::string_view name, const Value& in, Args args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  const bool by_filter = !args.empty() && !args[0].IsNull();
  const bool by_attribute = args.size() > 1 && !args[1].IsNull();
  if (by_filter == by_attribute) {
    return Error::InvalidArgument("filter 'map' takes either a filter name (map('lower')) or an attribute (map(attribute='id'))");
  }
  const FilterSpec* spec = nullptr;
  if (by_filter) {
    if (!args[0].IsString()) return ArgTypeError(name, 0, "a filter name", args[0]);
    spec = FindFilter(args[0].AsString());
    if (spec == nullptr || spec->min_args > 0) {
      return Error::InvalidArgument("filter 'map': " + Quote(args[0].AsString()) + " is not a filter without arguments");
    }
  } else if (!args[1].IsString()) {
    return ArgTypeError(name, 1, "a string (attribute)", args[1]);
  }
  List out;
  out.reserve(in.AsList().size());
  for (const Value& item : in.AsList()) {
    auto v = by_filter ? ApplyFilter(*spec, item, {}) : Attribute(name, item, args[1].AsString());
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return Value(std::move(out));
}

Result<Value> Items(std::string_view name, const Value& in, Args) {
  if (!in.IsMap()) return InputTypeError(name, "a map", in);
  List out;
  for (const auto& [key, value] : in.AsMap()) {
    Map entry;
    entry.Set("key", key);
    entry.Set("value", value);
    out.emplace_back(std::move(entry));
  }
  return Value(std::move(out));
}

// dict: a list of {key, value} maps (what `items` gives) or of [key, value] pairs, to a map.
Result<Value> Dict(std::string_view name, const Value& in, Args) {
  if (!in.IsList()) return InputTypeError(name, "a list of {key, value} maps or [key, value] pairs", in);
  Map out;
  for (const Value& item : in.AsList()) {
    const Value* key = nullptr;
    const Value* value = nullptr;
    if (item.IsList() && item.AsList().size() == 2) {
      key = &item.AsList()[0];
      value = &item.AsList()[1];
    } else if (item.IsMap()) {
      key = item.AsMap().Find("key");
      value = item.AsMap().Find("value");
    }
    if (key == nullptr || value == nullptr || !key->IsString()) {
      return Error::Type("filter 'dict' expects [key, value] pairs or {key, value} maps with string keys, got " +
                         item.ToJson().substr(0, 64));
    }
    out.Set(key->AsString(), *value);
  }
  return Value(std::move(out));
}

// sort(attribute = null, reverse = false): numbers or strings, not mixed; stable.
Result<Value> SortBy(std::string_view name, const Value& in, Args args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  const bool by_attribute = !args.empty() && !args[0].IsNull();
  if (by_attribute && !args[0].IsString()) return ArgTypeError(name, 0, "a string (attribute)", args[0]);
  if (args.size() > 1 && !args[1].IsBool() && !args[1].IsNull()) return ArgTypeError(name, 1, "true or false", args[1]);
  const bool reverse = args.size() > 1 && args[1].IsBool() && args[1].AsBool();
  std::vector<std::pair<Value, std::size_t>> keyed;
  for (std::size_t i = 0; i < in.AsList().size(); ++i) {
    const Value& item = in.AsList()[i];
    auto key = by_attribute ? Attribute(name, item, args[0].AsString()) : Result<Value>(item);
    if (!key) return key.error();
    keyed.emplace_back(std::move(*key), i);
  }
  const bool all_numbers = std::all_of(keyed.begin(), keyed.end(), [](const auto& k) {
    return k.first.IsInt() || (k.first.IsDouble() && !std::isnan(k.first.AsDouble()));
  });
  const bool all_strings = std::all_of(keyed.begin(), keyed.end(), [](const auto& k) { return k.first.IsString(); });
  if (!all_numbers && !all_strings) {
    return Error::Type(std::string("filter 'sort' expects a list of numbers or a list of strings") +
                       (by_attribute ? " (by attribute " + Quote(args[0].AsString()) + ")" : ""));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    const auto less = [&](const Value& x, const Value& y) { return all_numbers ? NumberLess(x, y) : x.AsString() < y.AsString(); };
    return reverse ? less(b.first, a.first) : less(a.first, b.first);
  });
  List out;
  for (const auto& k : keyed) out.push_back(in.AsList()[k.second]);
  return Value(std::move(out));
}

// ---- dates, calendars and durations ----

std::string FormatCivil(const CivilDate& d) { return Pad(d.year, 4) + "-" + Pad(d.month, 2) + "-" + Pad(d.day, 2); }

std::int64_t DaysOf(const DateTime& dt) { return DaysFromCivil(dt.date.year, dt.date.month, dt.date.day); }

// 0 = Sunday .. 6 = Saturday.
std::size_t WeekdayOf(std::int64_t days) { return static_cast<std::size_t>(((days % 7) + 11) % 7); }

// Seconds since the epoch of a datetime (a plain date is midnight UTC).
std::int64_t EpochSeconds(const DateTime& dt) {
  std::int64_t offset = 0;
  if (dt.zone.size() == 5) {
    offset = ((dt.zone[1] - '0') * 10 + (dt.zone[2] - '0')) * 3600 + ((dt.zone[3] - '0') * 10 + (dt.zone[4] - '0')) * 60;
    if (dt.zone[0] == '-') offset = -offset;
  }
  return DaysOf(dt) * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second - offset;
}

std::string FormatUtc(std::int64_t seconds) {
  const std::int64_t days = (seconds >= 0 ? seconds : seconds - 86399) / 86400;
  const std::int64_t rest = seconds - days * 86400;
  return FormatCivil(CivilFromDays(days)) + "T" + Pad(rest / 3600, 2) + ":" + Pad(rest / 60 % 60, 2) + ":" +
         Pad(rest % 60, 2) + "Z";
}

Result<Value> DateFilter(std::string_view name, const Value& in, Args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  return Value(FormatCivil(dt->date));
}

Result<Value> DatetimeFilter(std::string_view name, const Value& in, Args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  return Value(FormatUtc(EpochSeconds(*dt)));
}

Result<Value> Weekday(std::string_view name, const Value& in, Args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  return Value(kWeekdays[WeekdayOf(DaysOf(*dt))].substr(0, 3));
}

// A calendar: `weekends` (day names, default Sat and Sun) and `holidays` (dates).
struct Calendar {
  std::array<bool, 7> weekend = {true, false, false, false, false, false, true};
  std::unordered_set<std::int64_t> holidays;  // days since the epoch

  bool Working(std::int64_t days) const { return !weekend[WeekdayOf(days)] && holidays.count(days) == 0; }
};

Result<Calendar> ReadCalendar(std::string_view name, const Value& v, std::size_t arg) {
  Calendar cal;
  if (v.IsNull()) return cal;
  if (!v.IsMap()) return ArgTypeError(name, arg, "a calendar (a map with weekends and holidays)", v);
  for (const auto& [key, value] : v.AsMap()) {
    if (key != "weekends" && key != "holidays" && key != "description") {
      return Error::InvalidArgument("filter " + Quote(name) + ": unknown calendar key " + Quote(key) +
                                    " (a calendar has weekends and holidays)");
    }
  }
  if (const Value* w = v.AsMap().Find("weekends")) {
    if (!w->IsList()) return Error::Type("filter " + Quote(name) + ": a calendar's weekends must be a list of day names");
    cal.weekend.fill(false);
    for (const Value& day : w->AsList()) {
      std::size_t which = 7;
      for (std::size_t i = 0; i < 7 && day.IsString(); ++i) {
        if (day.AsString() == kWeekdays[i] || day.AsString() == kWeekdays[i].substr(0, 3)) which = i;
      }
      if (which == 7) {
        return Error::InvalidArgument("filter " + Quote(name) + ": " + day.ToJson() +
                                      " is not a day name (Mon, Tue, ... or Monday, Tuesday, ...)");
      }
      cal.weekend[which] = true;
    }
    if (std::all_of(cal.weekend.begin(), cal.weekend.end(), [](bool b) { return b; })) {
      return Error::InvalidArgument("filter " + Quote(name) + ": the calendar has no working day");
    }
  }
  if (const Value* h = v.AsMap().Find("holidays")) {
    if (!h->IsList()) return Error::Type("filter " + Quote(name) + ": a calendar's holidays must be a list of dates");
    for (const Value& day : h->AsList()) {
      auto dt = ParseDateTime(name, day);
      if (!dt || dt->suffix.size() > 0) {
        return Error::InvalidArgument("filter " + Quote(name) + ": holiday " + day.ToJson() + " is not a date (YYYY-MM-DD)");
      }
      cal.holidays.insert(DaysOf(*dt));
    }
  }
  return cal;
}

// add_working_days(n, calendar): n working days later (earlier when n < 0); n = 0 is the date
// itself when it is a working day, else the next working day.
Result<Value> AddWorkingDays(std::string_view name, const Value& in, Args args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  if (!args[0].IsInt()) return ArgTypeError(name, 0, "an int", args[0]);
  auto cal = ReadCalendar(name, args.size() > 1 ? args[1] : Value(), 1);
  if (!cal) return cal.error();
  const std::int64_t n = args[0].AsInt();
  if (n < -10000 || n > 10000) return Error::InvalidArgument("filter 'add_working_days': " + std::to_string(n) + " is out of range (at most 10000)");
  std::int64_t days = DaysOf(*dt);
  const std::int64_t step = n < 0 ? -1 : 1;
  // At most 366 holidays a year and one working day a week: this ends.
  while (!cal->Working(days)) days += step;
  for (std::int64_t left = n < 0 ? -n : n; left > 0; --left) {
    days += step;
    while (!cal->Working(days)) days += step;
  }
  const CivilDate out = CivilFromDays(days);
  if (out.year < 0 || out.year > 9999) return Error::InvalidArgument("filter 'add_working_days': result out of range");
  return Value(FormatCivil(out) + std::string(dt->suffix));
}

Result<Value> IsWorkingDay(std::string_view name, const Value& in, Args args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  auto cal = ReadCalendar(name, args.empty() ? Value() : args[0], 0);
  if (!cal) return cal.error();
  return Value(cal->Working(DaysOf(*dt)));
}

// A duration value is text in the playbook's duration syntax ("4w", "90d", "1h30m"), or an int
// of seconds.
Result<std::int64_t> DurationMillis(std::string_view name, const Value& v, std::optional<std::size_t> arg) {
  if (v.IsInt()) return v.AsInt() * 1000;
  const auto bad = [&](std::string_view why) -> Error {
    if (!arg) return Error::Type("filter " + Quote(name) + " expects a duration (like 4w, 90d, 36h), got " + std::string(why));
    return Error::Type("filter " + Quote(name) + " expects a duration (like 4w, 90d, 36h) as argument " +
                       std::to_string(*arg + 1) + ", got " + std::string(why));
  };
  if (!v.IsString()) return bad(v.KindName());
  auto d = ParseDuration(v.AsString());
  if (!d) return bad(Quote(v.AsString().substr(0, 40)));
  return d->count();
}

Result<Value> DurationFilter(std::string_view name, const Value& in, Args) {
  auto ms = DurationMillis(name, in, std::nullopt);
  if (!ms) return ms.error();
  if (name == "duration") return Value(FormatDuration(Duration(*ms)));
  const std::int64_t unit = name == "seconds" ? 1000 : name == "hours" ? 3'600'000 : 86'400'000;
  if (*ms % unit == 0) return Value(*ms / unit);
  return Value(static_cast<double>(*ms) / static_cast<double>(unit));
}

// add(duration): a date or datetime later by a duration (a date only by whole days).
Result<Value> AddDuration(std::string_view name, const Value& in, Args args) {
  auto dt = ParseDateTime(name, in);
  if (!dt) return dt.error();
  auto ms = DurationMillis(name, args[0], 0);
  if (!ms) return ms.error();
  const bool negative = name == "subtract";
  if (dt->suffix.empty()) {
    if (*ms % 86'400'000 != 0) {
      return Error::InvalidArgument("filter " + Quote(name) + ": a date moves by whole days; " +
                                    FormatDuration(Duration(*ms)) + " is not (use a datetime)");
    }
    const std::int64_t days = DaysOf(*dt) + (negative ? -1 : 1) * (*ms / 86'400'000);
    return Value(FormatCivil(CivilFromDays(days)));
  }
  std::int64_t local = DaysOf(*dt) * 86400 + dt->hour * 3600 + dt->minute * 60 + dt->second;
  local += (negative ? -1 : 1) * (*ms / 1000);
  const std::int64_t days = (local >= 0 ? local : local - 86399) / 86400;
  const std::int64_t rest = local - days * 86400;
  std::string zone = dt->zone == "+0000" ? "Z" : dt->zone.substr(0, 3) + ":" + dt->zone.substr(3);
  if (dt->suffix.find_first_of("zZ") != std::string_view::npos) zone = "Z";
  return Value(FormatCivil(CivilFromDays(days)) + "T" + Pad(rest / 3600, 2) + ":" + Pad(rest / 60 % 60, 2) + ":" +
               Pad(rest % 60, 2) + zone);
}

// days_until(other): whole days from this date to `other` (negative when `other` is earlier).
Result<Value> DaysUntil(std::string_view name, const Value& in, Args args) {
  auto a = ParseDateTime(name, in);
  if (!a) return a.error();
  auto b = ParseDateTime(name, args[0]);
  if (!b) return b.error();
  return Value(DaysOf(*b) - DaysOf(*a));
}

constexpr KindSet kS = kStrK, kL = kListK, kM = kMapK, kA = kAnyK, kI = kIntK, kB = kBoolK;
constexpr KindSet kDur = kStrK | kIntK;

constexpr FilterSpec kFilters[] = {
    {"lower", 0, 0, CaseFilter, kS, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"upper", 0, 0, CaseFilter, kS, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"capitalize", 0, 0, CaseFilter, kS, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"title", 0, 0, CaseFilter, kS, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"trim", 0, 0, Trim, kS, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"default", 1, 1, Default, kA, {kA, kA, kA}, kA, ResultRule::kFixed, {}, ""},
    {"mandatory", 1, 1, Mandatory, kA, {kS, kA, kA}, kA, ResultRule::kFixed, {"message"}, ""},
    {"replace", 2, 2, Replace, kS, {kS, kS, kA}, kS, ResultRule::kFixed, {}, "a string"},
    {"slug", 0, 0, Slug, kS, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"join", 0, 1, Join, kL, {kS, kA, kA}, kS, ResultRule::kFixed, {}, "a list"},
    {"split", 1, 1, Split, kS, {kS, kA, kA}, kL, ResultRule::kFixed, {}, "a string"},
    {"length", 0, 0, Length, kS | kL | kM, {}, kI, ResultRule::kFixed, {}, "a string, list or map"},
    {"first", 0, 0, FirstLast, kL, {}, kA, ResultRule::kItem, {}, "a list"},
    {"last", 0, 0, FirstLast, kL, {}, kA, ResultRule::kItem, {}, "a list"},
    {"json", 0, 0, Json, kA, {}, kS, ResultRule::kFixed, {}, ""},
    {"urlencode", 0, 0, Urlencode, kS | kNumK, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"add_days", 1, 1, AddDays, kS, {kI, kA, kA}, kS, ResultRule::kFixed, {}, "a date string"},
    {"format_date", 1, 1, FormatDate, kS, {kS, kA, kA}, kS, ResultRule::kFixed, {}, "a date string"},
    {"string", 0, 0, ToString, kA, {}, kS, ResultRule::kFixed, {}, ""},
    {"int", 0, 0, ToInt, kS | kNumK | kB, {}, kI, ResultRule::kFixed, {}, "a string or number"},
    {"keys", 0, 0, KeysValues, kM, {}, kL, ResultRule::kFixed, {}, "a map"},
    {"values", 0, 0, KeysValues, kM, {}, kL, ResultRule::kFixed, {}, "a map"},
    {"unique", 0, 0, Unique, kL, {}, kL, ResultRule::kSame, {}, "a list"},
    {"sort", 0, 2, SortBy, kL, {kS | kNullK, kB | kNullK, kA}, kL, ResultRule::kSame, {"attribute", "reverse"}, "a list"},
    {"slack_escape", 0, 0, SlackEscapeFilter, kS | kNumK, {}, kS, ResultRule::kFixed, {}, "a string"},
    {"difference", 1, 1, SetOp, kL, {kL, kA, kA}, kL, ResultRule::kSame, {}, "a list"},
    {"intersect", 1, 1, SetOp, kL, {kL, kA, kA}, kL, ResultRule::kSame, {}, "a list"},
    {"union", 1, 1, SetOp, kL, {kL, kA, kA}, kL, ResultRule::kSame, {}, "a list"},
    {"contains", 1, 1, Contains, kL | kS | kM, {kA, kA, kA}, kB, ResultRule::kFixed, {}, "a list, string or map"},
    {"select", 0, 3, SelectReject, kL, {kS | kNullK, kA, kS | kNullK}, kL, ResultRule::kSame, {"test", "value", "attribute"}, "a list"},
    {"reject", 0, 3, SelectReject, kL, {kS | kNullK, kA, kS | kNullK}, kL, ResultRule::kSame, {"test", "value", "attribute"}, "a list"},
    {"map", 0, 2, MapFilter, kL, {kS | kNullK, kS | kNullK, kA}, kL, ResultRule::kFixed, {"filter", "attribute"}, "a list"},
    {"items", 0, 0, Items, kM, {}, kL, ResultRule::kFixed, {}, "a map"},
    {"dict", 0, 0, Dict, kL, {}, kM, ResultRule::kFixed, {}, "a list of {key, value} maps or [key, value] pairs"},
    {"date", 0, 0, DateFilter, kS, {}, kS, ResultRule::kFixed, {}, "a date string"},
    {"datetime", 0, 0, DatetimeFilter, kS, {}, kS, ResultRule::kFixed, {}, "a date string"},
    {"weekday", 0, 0, Weekday, kS, {}, kS, ResultRule::kFixed, {}, "a date string"},
    {"add_working_days", 1, 2, AddWorkingDays, kS, {kI, kM | kNullK, kA}, kS, ResultRule::kFixed, {"n", "calendar"}, "a date string"},
    {"is_working_day", 0, 1, IsWorkingDay, kS, {kM | kNullK, kA, kA}, kB, ResultRule::kFixed, {"calendar"}, "a date string"},
    {"add", 1, 1, AddDuration, kS, {kDur, kA, kA}, kS, ResultRule::kFixed, {}, "a date string"},
    {"subtract", 1, 1, AddDuration, kS, {kDur, kA, kA}, kS, ResultRule::kFixed, {}, "a date string"},
    {"days_until", 1, 1, DaysUntil, kS, {kS, kA, kA}, kI, ResultRule::kFixed, {}, "a date string"},
    {"duration", 0, 0, DurationFilter, kDur, {}, kS, ResultRule::kFixed, {}, "a duration"},
    {"seconds", 0, 0, DurationFilter, kDur, {}, kNumK, ResultRule::kFixed, {}, "a duration"},
    {"hours", 0, 0, DurationFilter, kDur, {}, kNumK, ResultRule::kFixed, {}, "a duration"},
    {"days", 0, 0, DurationFilter, kDur, {}, kNumK, ResultRule::kFixed, {}, "a duration"},
};

// ---- operators ----

Result<Value> ContainsValue(const Value& needle, const Value& haystack) {
  if (haystack.IsNull()) return Value(false);
  if (haystack.IsList()) {
    const List& list = haystack.AsList();
    return Value(std::find(list.begin(), list.end(), needle) != list.end());
  }
  if (!haystack.IsString() && !haystack.IsMap()) {
    return Error::Type(std::string("operator 'in' expects a list, string or map on the right, got ") + haystack.KindName());
  }
  if (!needle.IsString()) {
    return Error::Type(std::string("operator 'in' expects a string on the left when searching a ") + haystack.KindName() +
                       ", got " + needle.KindName());
  }
  if (haystack.IsMap()) return Value(haystack.AsMap().Contains(needle.AsString()));
  return Value(FindText(haystack.AsString(), needle.AsString()) != std::string::npos);
}

Result<Value> Order(std::string_view op, const Value& a, const Value& b) {
  int cmp = 0;  // <0, 0, >0
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt() && b.IsInt()) {
      cmp = a.AsInt() < b.AsInt() ? -1 : a.AsInt() > b.AsInt();
    } else {
      if (std::isnan(a.AsDouble()) || std::isnan(b.AsDouble())) return Value(false);
      cmp = a.AsDouble() < b.AsDouble() ? -1 : a.AsDouble() > b.AsDouble();
    }
  } else if (a.IsString() && b.IsString()) {
    cmp = a.AsString().compare(b.AsString());
  } else {
    return Error::Type("cannot compare " + std::string(a.KindName()) + " with " + b.KindName() + " using " + Quote(op));
  }
  if (op == "<") return Value(cmp < 0);
  if (op == "<=") return Value(cmp <= 0);
  if (op == ">") return Value(cmp > 0);
  return Value(cmp >= 0);
}

std::string Plural(std::size_t n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); }

}  // namespace

const FilterSpec* FindFilter(std::string_view name) {
  for (const FilterSpec& spec : kFilters) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string DescribeKinds(KindSet set) {
  static constexpr std::pair<KindSet, std::string_view> kNames[] = {
      {kStrK, "a string"}, {kNumK, "a number"}, {kIntK, "an int"}, {kDoubleK, "a number"}, {kBoolK, "a bool"},
      {kListK, "a list"},  {kMapK, "a map"},    {kNullK, "null"}};
  std::vector<std::string_view> words;
  for (auto [bits, word] : kNames) {
    if ((set & bits) == bits) {
      words.push_back(word);
      set &= ~bits;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + std::string(words[i]);
  }
  return out;
}

std::string CheckArgCount(const FilterSpec& spec, std::size_t count) {
  if (count >= spec.min_args && count <= spec.max_args) return "";
  std::string takes = spec.max_args == 0           ? "no arguments"
                      : spec.min_args == spec.max_args ? Plural(spec.max_args)
                                                       : "at most " + Plural(spec.max_args);
  return "filter " + Quote(spec.name) + " takes " + takes + ", got " + std::to_string(count);
}

Result<Value> ApplyFilter(const FilterSpec& spec, const Value& input, std::span<const Value> args) {
  auto out = spec.fn(spec.name, input, args);
  if (out && out->IsString() && out->AsString().size() > kMaxStringBytes) return TooLarge(spec.name);
  return out;
}

Result<Value> Member(Value from, std::string_view name) {
  if (from.IsNull()) return Value();
  if (!from.IsMap()) return Error::Type("cannot read " + Quote(name) + " of a " + from.KindName());
  Value* found = from.AsMap().Find(name);
  if (found == nullptr) return Value();
  Value out = std::move(*found);
  return out;
}

Result<Value> Index(Value from, const Value& key) {
  if (from.IsNull()) return Value();
  if (from.IsMap()) {
    if (!key.IsString()) return Error::Type(std::string("a map key must be a string, got ") + key.KindName());
    return Member(std::move(from), key.AsString());
  }
  if (!from.IsList()) return Error::Type(std::string("cannot index a ") + from.KindName());
  if (!key.IsInt()) return Error::Type(std::string("a list index must be an int, got ") + key.KindName());
  List& list = from.AsList();
  const auto size = static_cast<std::int64_t>(list.size());
  const std::int64_t i = key.AsInt() < 0 ? key.AsInt() + size : key.AsInt();
  if (i < 0 || i >= size) {
    return Error::Type("index " + std::to_string(key.AsInt()) + " is out of range for a list of length " + std::to_string(size));
  }
  Value out = std::move(list[static_cast<std::size_t>(i)]);
  return out;
}

Result<Value> Plus(Value lhs, const Value& rhs) {
  if (lhs.IsInt() && rhs.IsInt()) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(lhs.AsInt(), rhs.AsInt(), &sum)) return Error::InvalidArgument("integer overflow in '+'");
    return Value(sum);
  }
  if (lhs.IsNumber() && rhs.IsNumber()) return Value(lhs.AsDouble() + rhs.AsDouble());
  if (lhs.IsString() && rhs.IsString()) {
    if (lhs.AsString().size() + rhs.AsString().size() > kMaxStringBytes) {
      return Error::InvalidArgument("result of '+' is too large (over " + std::to_string(kMaxStringBytes) + " bytes)");
    }
    return Value(lhs.AsString() + rhs.AsString());
  }
  if (lhs.IsList() && rhs.IsList()) {
    List& list = lhs.AsList();
    list.insert(list.end(), rhs.AsList().begin(), rhs.AsList().end());
    return lhs;
  }
  return Error::Type(std::string("operator '+' cannot add ") + lhs.KindName() + " and " + rhs.KindName());
}

Result<Value> Negate(const Value& operand) {
  if (operand.IsDouble()) return Value(-operand.AsDouble());
  if (!operand.IsInt()) return Error::Type(std::string("operator '-' expects a number, got ") + operand.KindName());
  if (operand.AsInt() == INT64_MIN) return Error::InvalidArgument("integer overflow in '-'");
  return Value(-operand.AsInt());
}

Result<Value> Compare(std::string_view op, const Value& lhs, const Value& rhs) {
  if (op == "==") return Value(lhs == rhs);
  if (op == "!=") return Value(!(lhs == rhs));
  if (op == "in" || op == "not in") {
    auto found = ContainsValue(lhs, rhs);
    if (found && op == "not in") return Value(!found->AsBool());
    return found;
  }
  return Order(op, lhs, rhs);
}

std::size_t FindText(std::string_view haystack, std::string_view needle, std::size_t from) {
  if (from > haystack.size()) return std::string_view::npos;
  if (needle.size() <= 1) return haystack.find(needle, from);
  const std::boyer_moore_searcher searcher(needle.begin(), needle.end());
  const auto hit = searcher(haystack.begin() + static_cast<std::ptrdiff_t>(from), haystack.end()).first;
  return hit == haystack.end() ? std::string_view::npos : static_cast<std::size_t>(hit - haystack.begin());
}

}  // namespace tenure::workflows::internal

namespace tenure::workflows {

std::span<const std::string_view> FilterNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const internal::FilterSpec& spec : internal::kFilters) out.push_back(spec.name);
    return out;
  }();
  return names;
}

std::string SlackEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace tenure::workflows
