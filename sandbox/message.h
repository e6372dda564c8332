// Request and Response: the sandbox's own HTTP message types. Handlers (SCIM, Slack, echo, admin)
// work on these, so only server.cc includes Beast.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenure::sandbox {

struct Request {
  std::string method;  // upper case, as sent
  std::string path;    // percent-decoded path, no query
  std::string raw_path;  // the path as sent (not decoded): split it before decoding segments
  std::map<std::string, std::string> query;  // decoded; the last value wins for repeated names
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool absolute_form = false;  // the request line carried "http://host/..." (sent as to a proxy)

  // Case-insensitive header lookup; "" when absent.
  std::string Header(std::string_view name) const;
  // The query parameter or `fallback`.
  std::string Query(const std::string& name, std::string fallback = "") const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;  // send with Transfer-Encoding: chunked (tests of the client)
  std::string raw;       // when set: these bytes are written instead, then the connection closes

  void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// A response with `json` serialized as the body and the given content type.
Response JsonResponse(int status, const boost::json::value& json, std::string content_type = "application/json");

// Splits "a=1&b=x%20y" into decoded pairs (the last value wins).
std::map<std::string, std::string> ParseQuery(std::string_view query);

// True for ASCII case-insensitive equality.
bool IEquals(std::string_view a, std::string_view b);

}  // namespace tenure::sandbox
