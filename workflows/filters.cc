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

Result<Value> Sort(std::string_view name, const Value& in, Args) {
  if (!in.IsList()) return InputTypeError(name, "a list", in);
  List out = in.AsList();
  const bool all_numbers = std::all_of(out.begin(), out.end(), [](const Value& v) {
    return v.IsInt() || (v.IsDouble() && !std::isnan(v.AsDouble()));
  });
  const bool all_strings = std::all_of(out.begin(), out.end(), [](const Value& v) { return v.IsString(); });
  if (all_numbers) {
    std::stable_sort(out.begin(), out.end(), NumberLess);
  } else if (all_strings) {
    std::stable_sort(out.begin(), out.end(), [](const Value& a, const Value& b) { return a.AsString() < b.AsString(); });
  } else {
    return Error::Type("filter 'sort' expects a list of numbers or a list of strings");
  }
  return Value(std::move(out));
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

constexpr FilterSpec kFilters[] = {
    {"lower", 0, 0, CaseFilter},     {"upper", 0, 0, CaseFilter},       {"capitalize", 0, 0, CaseFilter},
    {"title", 0, 0, CaseFilter},     {"trim", 0, 0, Trim},              {"default", 1, 1, Default},
    {"replace", 2, 2, Replace},      {"slug", 0, 0, Slug},              {"join", 0, 1, Join},
    {"split", 1, 1, Split},          {"length", 0, 0, Length},          {"first", 0, 0, FirstLast},
    {"last", 0, 0, FirstLast},       {"json", 0, 0, Json},              {"urlencode", 0, 0, Urlencode},
    {"add_days", 1, 1, AddDays},     {"format_date", 1, 1, FormatDate}, {"string", 0, 0, ToString},
    {"int", 0, 0, ToInt},            {"keys", 0, 0, KeysValues},        {"values", 0, 0, KeysValues},
    {"unique", 0, 0, Unique},        {"sort", 0, 0, Sort},              {"slack_escape", 0, 0, SlackEscapeFilter},
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
