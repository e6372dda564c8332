// Session: one LDAP connection (libldap) driven from the engine's event loop. The only file of the
// ldap connector that sees libldap's connection handling and Asio's descriptors (session.cc).
//
// Design:
// - Operations are libldap's asynchronous calls (ldap_search_ext, ldap_add_ext, ldap_modify_ext,
//   ldap_delete_ext, ldap_rename, ldap_passwd): each sends its request and returns a message id.
//   One reader, armed while any request is outstanding, waits for the socket (LDAP_OPT_DESC in an
//   asio::posix::stream_descriptor, async_wait(wait_read)) and drains every complete answer with
//   ldap_result(LDAP_RES_ANY, zero timeout), handing each to the request that owns its message id.
//   So several actions share one connection (the engine's max_in_flight bounds how many) and no
//   thread ever blocks on an answer.
// - Connecting (TCP, the ldaps:// handshake, StartTLS, the simple bind) uses libldap's synchronous
//   calls, which have no asynchronous form: they run on a short-lived thread of their own
//   (std::async), bounded by connect_timeout (LDAP_OPT_NETWORK_TIMEOUT and LDAP_OPT_TIMEOUT), while
//   the waiting coroutine polls for its end every 5 ms. Nothing else runs off the event loop.
// - TLS: certificates are always verified (LDAP_OPT_X_TLS_REQUIRE_CERT = demand, host name
//   checked), against ca_file when given, else the system's CAs.
// - A lost connection fails every outstanding request (Delivery::kLost) and is made again by the
//   next request.
// Engine executor only (the executor given to the constructor); not thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <string>
#include <vector>

namespace tenure::connectors::ldap {

using Clock = std::chrono::steady_clock;

struct SessionOptions {
  std::string url;          // ldap://host[:port] or ldaps://host[:port]
  bool starttls = false;    // StartTLS (RFC 4513) after connecting to an ldap:// URL
  std::string bind_dn;      // "" = anonymous
  std::string password;     // the resolved bind password (registered with the Redactor by the caller)
  std::string ca_file;      // PEM CA bundle; "" = the system's
  std::chrono::milliseconds connect_timeout{10'000};  // connect + TLS + bind
};

// How far a request got.
enum class Delivery {
  kAnswered,   // the server answered: see Reply::code
  kNotSent,    // it never reached the server (connect, TLS or bind failed; the write failed): safe to retry
  kLost,       // the connection dropped after it was sent: it may have taken effect
  kTimedOut,   // no answer by the deadline (the request was abandoned): it may have taken effect
  kCancelled,  // the caller was cancelled after it was sent: it may have taken effect
};

struct Attribute {
  std::string name;                 // as the server spells it
  std::vector<std::string> values;  // bytes (binary attributes such as unicodePwd included)
};

struct Entry {
  std::string dn;
  std::vector<Attribute> attributes;
  const Attribute* Find(std::string_view name) const;  // case-insensitive
};

struct Reply {
  Delivery delivery = Delivery::kAnswered;
  int code = 0;             // the LDAP result code (kAnswered); libldap's error code otherwise
  std::string message;      // the server's diagnostic message, or what went wrong on the way
  std::string matched_dn;
  std::vector<Entry> entries;  // search entries, in the order received
  std::string cookie;       // paged search: the cookie for the next page; "" = this was the last
  bool connecting = false;   // the failure was in connecting, StartTLS or binding, before the request
  bool tls_failure = false;  // the TLS handshake failed (untrusted certificate, wrong host name, no
                             // TLS there) though the server was reachable: retrying cannot help
  bool Ok() const { return delivery == Delivery::kAnswered && code == 0; }
};

enum class Scope { kBase, kOne, kSub };

struct Mod {
  enum class Op { kAdd, kDelete, kReplace };
  Op op = Op::kReplace;
  std::string attribute;
  std::vector<std::string> values;  // empty with kDelete: the whole attribute
};

class Session {
 public:
  // Connects lazily, on the first request. `ex` is the engine's executor.
  Session(boost::asio::any_io_executor ex, SessionOptions options);
  // Unbinds. Blocks only while a connect thread is still running (at most connect_timeout).
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects (and binds) now unless connected. kAnswered with code 0 when connected.
  boost::asio::awaitable<Reply> Connect(Clock::time_point deadline);
  // Whether the current connection is encrypted (ldaps:// or after StartTLS). False when not connected.
  bool Encrypted() const;

  // One page of a search when page_size > 0 (the paged results control, RFC 2696; `cookie` from
  // the previous page, "" for the first), else the whole result. `attributes` empty = all user
  // attributes.
  boost::asio::awaitable<Reply> Search(std::string base, Scope scope, std::string filter,
                                       std::vector<std::string> attributes, int page_size, std::string cookie,
                                       Clock::time_point deadline);
  boost::asio::awaitable<Reply> Add(std::string dn, std::vector<Mod> attributes, Clock::time_point deadline);
  boost::asio::awaitable<Reply> Modify(std::string dn, std::vector<Mod> mods, Clock::time_point deadline);
  boost::asio::awaitable<Reply> Delete(std::string dn, Clock::time_point deadline);
  // ModifyDN with deleteoldrdn=1; `new_superior` "" keeps the parent.
  boost::asio::awaitable<Reply> Rename(std::string dn, std::string new_rdn, std::string new_superior,
                                       Clock::time_point deadline);
  // The Password Modify extended operation (RFC 3062) setting `new_password` for `dn`.
  boost::asio::awaitable<Reply> PasswordModify(std::string dn, std::string new_password, Clock::time_point deadline);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// libldap's name for a result code ("Invalid credentials", "Can't contact LDAP server").
std::string ResultCodeName(int code);

}  // namespace tenure::connectors::ldap

namespace tenure::connectors::ldap {

// `dn` split into its first RDN and its parent ("uid=a,ou=people,dc=x" -> {"uid=a",
// "ou=people,dc=x"}), in LDAPv3 string form; nullopt when `dn` does not parse.
std::optional<std::pair<std::string, std::string>> SplitDn(std::string_view dn);
// Whether two DNs name the same entry: compared after normalising their string form (spaces,
// escapes) and case-insensitively (the attribute types and the usual caseIgnore values).
bool SameDn(std::string_view a, std::string_view b);

}  // namespace tenure::connectors::ldap
