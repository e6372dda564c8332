// Helpers shared by the sandbox's Google and Microsoft personalities: path segments, bearer
// tokens, form bodies, clocks and ids. Internal to sandbox/.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/message.h"

namespace tenure::sandbox::cloud {

// The segments of `raw_path` after `prefix`, each percent-decoded ("/a%2Fb/c" -> {"a/b", "c"}):
// an encoded '/' stays inside its segment, as a real server's router sees it.
std::vector<std::string> Segments(std::string_view raw_path, std::string_view prefix);
// The bearer token of the Authorization header, or "".
std::string Bearer(const Request& req);
// The form fields of an application/x-www-form-urlencoded body.
std::map<std::string, std::string> Form(const Request& req);
// Milliseconds since the Unix epoch.
std::int64_t NowMs();
// `n` random hex digits.
std::string RandomHex(std::mt19937_64& rng, int n);
// The string at `key`, or "".
std::string Str(const boost::json::object& o, std::string_view key);
// The body as a JSON object, or an empty object with `ok` false.
boost::json::object BodyObject(const Request& req, bool* ok);
// ASCII lower case.
std::string Lower(std::string s);

}  // namespace tenure::sandbox::cloud
