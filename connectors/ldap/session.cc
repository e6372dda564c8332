#include "connectors/ldap/session.h"

#include <lber.h>
#include <ldap.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <cctype>
#include <strings.h>

namespace tenure::connectors::ldap {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

struct LdapDeleter {
  void operator()(LDAP* ld) const { ldap_unbind_ext(ld, nullptr, nullptr); }
};
using LdapPtr = std::unique_ptr<LDAP, LdapDeleter>;
struct MessageDeleter {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using MessagePtr = std::unique_ptr<LDAPMessage, MessageDeleter>;

std::string Diagnostic(LDAP* ld) {
  char* text = nullptr;
  ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text);
  std::string out = text != nullptr ? text : "";
  ldap_memfree(text);
  return out;
}

int ErrorNumber(LDAP* ld) {
  int code = LDAP_OTHER;
  ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code);
  return code;
}

// libldap's words for `code`, plus its diagnostic message when there is one.
std::string Describe(LDAP* ld, int code) {
  std::string out = ldap_err2string(code);
  const std::string diag = ld != nullptr ? Diagnostic(ld) : "";
  if (!diag.empty()) out += ": " + diag;
  return out;
}

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

berval View(const std::string& s) {
  berval b{};
  b.bv_len = s.size();
  b.bv_val = const_cast<char*>(s.data());  // libldap's API is not const-correct; it only reads
  return b;
}

// The outcome of the blocking connect (on the connect thread).
struct Connected {
  LdapPtr ld;
  int code = LDAP_SUCCESS;
  std::string message;
  bool tls = false;
  bool tls_failure = false;
};

Connected Fail(Connected c, int code, std::string what) {
  c.message = what + ": " + Describe(c.ld.get(), code) + " (" + std::to_string(code) + ")";
  c.code = code;
  c.ld.reset();
  return c;
}

// Whether a plain TCP connection to the host and port of `url` can be made (nothing is sent):
// tells a TLS handshake that failed from a server that is not there.
bool Reachable(const std::string& url, const timeval& limit) {
  LDAPURLDesc* lud = nullptr;
  if (ldap_url_parse(url.c_str(), &lud) != LDAP_SUCCESS || lud == nullptr) return false;
  const std::string host = lud->lud_host != nullptr ? lud->lud_host : "localhost";
  const std::string plain = "ldap://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                            std::to_string(lud->lud_port > 0 ? lud->lud_port : 636);
  ldap_free_urldesc(lud);
  LDAP* raw = nullptr;
  if (ldap_initialize(&raw, plain.c_str()) != LDAP_SUCCESS || raw == nullptr) return false;
  LdapPtr probe(raw);
  ldap_set_option(raw, LDAP_OPT_NETWORK_TIMEOUT, &limit);
  return ldap_connect(raw) == LDAP_SUCCESS;
}

// Runs on the connect thread: libldap has no asynchronous connect, StartTLS or bind.
Connected ConnectBlocking(const SessionOptions& o) {
  Connected c;
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, o.url.c_str());
  if (rc != LDAP_SUCCESS || raw == nullptr) {
    c.code = rc != LDAP_SUCCESS ? rc : LDAP_PARAM_ERROR;
    c.message = "invalid url: " + std::string(ldap_err2string(c.code));
    return c;
  }
  c.ld.reset(raw);
  int version = LDAP_VERSION3;
  ldap_set_option(raw, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(raw, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  ldap_set_option(raw, LDAP_OPT_RESTART, LDAP_OPT_ON);
  const timeval limit = ToTimeval(o.connect_timeout);
  ldap_set_option(raw, LDAP_OPT_NETWORK_TIMEOUT, &limit);
  ldap_set_option(raw, LDAP_OPT_TIMEOUT, &limit);
  int demand = LDAP_OPT_X_TLS_DEMAND;
  ldap_set_option(raw, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  if (!o.ca_file.empty()) ldap_set_option(raw, LDAP_OPT_X_TLS_CACERTFILE, o.ca_file.c_str());
  int is_server = 0;  // a TLS context of this handle's own, with the options above
  rc = ldap_set_option(raw, LDAP_OPT_X_TLS_NEWCTX, &is_server);
  if (rc != LDAP_OPT_SUCCESS) return Fail(std::move(c), rc, "TLS setup (ca_file " + o.ca_file + ")");
  rc = ldap_connect(raw);
  if (rc != LDAP_SUCCESS) {
    // libldap (GnuTLS) reports an untrusted certificate as "Can't contact LDAP server".
    const bool tls_failure = o.url.starts_with("ldaps://") && Reachable(o.url, limit);
    c = Fail(std::move(c), rc, "connect to " + o.url + (tls_failure ? " (TLS handshake failed)" : ""));
    c.tls_failure = tls_failure;
    return c;
  }
  if (o.starttls) {
    rc = ldap_start_tls_s(raw, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      const bool tls_failure = rc == LDAP_CONNECT_ERROR;  // the server agreed; the handshake failed
      c = Fail(std::move(c), rc, "StartTLS with " + o.url + (tls_failure ? " (TLS handshake failed)" : ""));
      c.tls_failure = tls_failure;
      return c;
    }
  }
  berval cred = View(o.password);
  rc = ldap_sasl_bind_s(raw, o.bind_dn.empty() ? nullptr : o.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr,
                        nullptr, nullptr);
  if (rc != LDAP_SUCCESS) return Fail(std::move(c), rc, "bind as '" + o.bind_dn + "'");
  c.tls = ldap_tls_inplace(raw) != 0;
  return c;
}

// Owns the LDAPMod array handed to ldap_add_ext/ldap_modify_ext (binary-safe: LDAP_MOD_BVALUES).
class ModArray {
 public:
  explicit ModArray(const std::vector<Mod>& mods) {
    values_.resize(mods.size());
    value_ptrs_.resize(mods.size());
    mods_.resize(mods.size());
    for (std::size_t i = 0; i < mods.size(); ++i) {
      for (const std::string& v : mods[i].values) values_[i].push_back(View(v));
      for (berval& b : values_[i]) value_ptrs_[i].push_back(&b);
      value_ptrs_[i].push_back(nullptr);
      LDAPMod& m = mods_[i];
      const int op = mods[i].op == Mod::Op::kAdd      ? LDAP_MOD_ADD
                     : mods[i].op == Mod::Op::kDelete ? LDAP_MOD_DELETE
                                                      : LDAP_MOD_REPLACE;
      m.mod_op = op | LDAP_MOD_BVALUES;
      m.mod_type = const_cast<char*>(mods[i].attribute.c_str());
      m.mod_vals.modv_bvals = mods[i].values.empty() && op == LDAP_MOD_DELETE ? nullptr : value_ptrs_[i].data();
    }
    for (LDAPMod& m : mods_) ptrs_.push_back(&m);
    ptrs_.push_back(nullptr);
  }
  LDAPMod** get() { return ptrs_.data(); }

 private:
  std::vector<std::vector<berval>> values_;
  std::vector<std::vector<berval*>> value_ptrs_;
  std::vector<LDAPMod> mods_;
  std::vector<LDAPMod*> ptrs_;
};

Entry ParseEntry(LDAP* ld, LDAPMessage* m) {
  Entry e;
  if (char* dn = ldap_get_dn(ld, m)) {
    e.dn = dn;
    ldap_memfree(dn);
  }
  BerElement* ber = nullptr;
  for (char* a = ldap_first_attribute(ld, m, &ber); a != nullptr; a = ldap_next_attribute(ld, m, ber)) {
    Attribute attr;
    attr.name = a;
    if (berval** vals = ldap_get_values_len(ld, m, a)) {
      for (berval** v = vals; *v != nullptr; ++v) attr.values.emplace_back((*v)->bv_val, (*v)->bv_len);
      ldap_value_free_len(vals);
    }
    ldap_memfree(a);
    e.attributes.push_back(std::move(attr));
  }
  if (ber != nullptr) ber_free(ber, 0);
  return e;
}

// The result message's code, texts and (paged search) cookie into `reply`.
void ParseFinal(LDAP* ld, LDAPMessage* m, Reply& reply) {
  int code = LDAP_SUCCESS;
  char* matched = nullptr;
  char* text = nullptr;
  LDAPControl** controls = nullptr;
  const int rc = ldap_parse_result(ld, m, &code, &matched, &text, nullptr, &controls, 0);
  if (rc != LDAP_SUCCESS) {
    reply.code = rc;
    reply.message = "unreadable answer: " + std::string(ldap_err2string(rc));
    return;
  }
  reply.code = code;
  reply.message = text != nullptr ? text : "";
  reply.matched_dn = matched != nullptr ? matched : "";
  if (controls != nullptr) {
    if (LDAPControl* page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nullptr)) {
      ber_int_t estimate = 0;
      berval cookie{};
      if (ldap_parse_pageresponse_control(ld, page, &estimate, &cookie) == LDAP_SUCCESS) {
        reply.cookie.assign(cookie.bv_val != nullptr ? cookie.bv_val : "", cookie.bv_len);
        ber_memfree(cookie.bv_val);
      }
    }
    ldap_controls_free(controls);
  }
  ldap_memfree(matched);
  ldap_memfree(text);
}

bool IsFinal(int type) {
  return type != LDAP_RES_SEARCH_ENTRY && type != LDAP_RES_SEARCH_REFERENCE && type != LDAP_RES_INTERMEDIATE;
}

}  // namespace

const Attribute* Entry::Find(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name.size() == name.size() && strncasecmp(a.name.data(), name.data(), name.size()) == 0) return &a;
  }
  return nullptr;
}

std::string ResultCodeName(int code) { return ldap_err2string(code); }

// Sends a request and returns its message id, or a libldap error (negative or LDAP_* code).
using Sender = std::function<int(LDAP* ld, int* msgid)>;

class Session::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor ex, SessionOptions options) : ex_(std::move(ex)), options_(std::move(options)) {}
  ~Impl() {
    Disconnect();
    if (connecting_.valid()) connecting_.wait();  // bounded by connect_timeout; its handle unbinds with it
  }

  bool Encrypted() const { return ld_ != nullptr && tls_; }

  awaitable<Reply> Connect(Clock::time_point deadline) {
    if (ld_) co_return Reply{};
    if (!connecting_.valid()) {
      connecting_ = std::async(std::launch::async, ConnectBlocking, options_);
    }
    asio::steady_timer poll(ex_);
    while (connecting_.valid() && connecting_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      if (Clock::now() >= deadline) {
        Reply timed_out{Delivery::kNotSent, LDAP_TIMEOUT, "connect to " + options_.url + ": timed out", "", {}, ""};
        timed_out.connecting = true;
        co_return timed_out;
      }
      poll.expires_after(std::chrono::milliseconds(5));
      co_await poll.async_wait(use_awaitable);
    }
    if (connecting_.valid()) Install(connecting_.get());
    if (ld_) co_return Reply{};
    co_return last_connect_error_;  // this attempt's, installed by whichever waiter saw it end
  }

  awaitable<Reply> Run(Sender send, Clock::time_point deadline) {
    Reply connected = co_await Connect(deadline);
    if (!connected.Ok()) co_return connected;
    int msgid = -1;
    const int rc = send(ld_.get(), &msgid);
    if (rc != LDAP_SUCCESS) {
      Reply r{Delivery::kNotSent, rc, Describe(ld_.get(), rc), "", {}, ""};
      if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) Disconnect();
      if (rc != LDAP_SERVER_DOWN && rc != LDAP_CONNECT_ERROR) r.delivery = Delivery::kAnswered;  // refused locally
      co_return r;
    }
    Reply reply = co_await Await(msgid, deadline);
    StopReadingIfIdle();
    co_return reply;
  }

 private:
  struct Pending;

  // The answer to `msgid`, gathered from what the reader hands over, until its final message,
  // the deadline, a cancellation or the loss of the connection.
  awaitable<Reply> Await(int msgid, Clock::time_point deadline) {
    Pending p(ex_, pending_, msgid);
    p.signal.expires_at(deadline);
    StartReading();
    Reply reply;
    bool done = false;
    while (!done) {
      for (MessagePtr& m : p.messages) {
        const int type = ldap_msgtype(m.get());
        if (type == LDAP_RES_SEARCH_ENTRY) reply.entries.push_back(ParseEntry(ld_.get(), m.get()));
        if (IsFinal(type)) {
          ParseFinal(ld_.get(), m.get(), reply);
          done = true;
        }
      }
      p.messages.clear();
      if (done) break;
      if (p.lost) {
        reply = Reply{Delivery::kLost, LDAP_SERVER_DOWN, "the connection to " + options_.url + " was lost", "", {}, ""};
        break;
      }
      p.notified = false;
      boost::system::error_code ec;
      co_await p.signal.async_wait(asio::redirect_error(use_awaitable, ec));
      if (p.notified) continue;
      reply = Reply{ec ? Delivery::kCancelled : Delivery::kTimedOut, LDAP_TIMEOUT,
                    ec ? "cancelled while waiting for the answer" : "no answer before the deadline", "", {}, ""};
      if (ld_) ldap_abandon_ext(ld_.get(), msgid, nullptr, nullptr);
      break;
    }
    co_return reply;
  }

  // A request's state, on its coroutine's frame; registered in `pending_` under its message id
  // for its lifetime (also when the frame is destroyed while suspended, at shutdown).
  struct Pending {
    Pending(const asio::any_io_executor& ex, std::map<int, Pending*>& registry, int id)
        : signal(ex), pending(registry), msgid(id) {
      pending[msgid] = this;
    }
    ~Pending() {
      auto it = pending.find(msgid);
      if (it != pending.end() && it->second == this) pending.erase(it);
    }
    Pending(const Pending&) = delete;
    Pending& operator=(const Pending&) = delete;
    asio::steady_timer signal;  // cancelled to wake the request's coroutine; expiry = its deadline
    std::vector<MessagePtr> messages;
    bool notified = false;
    bool lost = false;
    std::map<int, Pending*>& pending;
    int msgid;
  };

  void Install(Connected c) {
    if (c.code != LDAP_SUCCESS || !c.ld) {
      const bool permanent = c.code == LDAP_INVALID_CREDENTIALS || c.code == LDAP_INAPPROPRIATE_AUTH ||
                             c.code == LDAP_PARAM_ERROR || c.code == LDAP_CONFIDENTIALITY_REQUIRED ||
                             c.code == LDAP_STRONG_AUTH_REQUIRED;
      // A refused bind is an answer (its code is permanent); the rest never got that far.
      last_connect_error_ = Reply{permanent ? Delivery::kAnswered : Delivery::kNotSent, c.code, c.message, "", {}, ""};
      if (c.code == LDAP_SUCCESS) last_connect_error_.code = LDAP_OTHER;
      last_connect_error_.connecting = true;
      last_connect_error_.tls_failure = c.tls_failure;
      return;
    }
    ber_socket_t fd = -1;
    if (ldap_get_option(c.ld.get(), LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS || fd < 0) {
      last_connect_error_ = Reply{Delivery::kNotSent, LDAP_OTHER, "connected, but libldap has no socket", "", {}, ""};
      return;
    }
    ld_ = std::move(c.ld);
    tls_ = c.tls;
    socket_.emplace(ex_, fd);  // libldap owns the fd: released (not closed) in Disconnect
    ++generation_;
  }

  void Disconnect() {
    if (socket_) {
      socket_->release();  // cancels the wait; libldap closes the fd when unbinding
      socket_.reset();
    }
    ld_.reset();
    tls_ = false;
    reading_ = false;
    ++generation_;
    for (auto& [id, p] : pending_) {
      p->lost = true;
      p->notified = true;
      p->signal.cancel();
    }
    pending_.clear();
  }

  void StartReading() {
    if (reading_ || !socket_) return;
    reading_ = true;
    std::weak_ptr<Impl> weak = weak_from_this();
    const int generation = generation_;
    socket_->async_wait(asio::posix::stream_descriptor::wait_read,
                        [weak, generation](const boost::system::error_code& ec) {
                          if (auto self = weak.lock()) self->OnReadable(ec, generation);
                        });
  }

  void OnReadable(const boost::system::error_code& ec, int generation) {
    if (generation != generation_) return;  // a wait of a connection since dropped
    reading_ = false;
    if (!ec) Drain();
    if (!pending_.empty()) StartReading();
  }

  // No request waits any more (the last one timed out or was cancelled): stop the wait, so that
  // nothing is left on the executor for a connection with nothing to do.
  void StopReadingIfIdle() {
    if (pending_.empty() && reading_ && socket_) socket_->cancel();
  }

  // Every answer libldap can complete without blocking, to the request that owns it.
  void Drain() {
    while (ld_) {
      LDAPMessage* raw = nullptr;
      timeval zero{};
      const int rc = ldap_result(ld_.get(), LDAP_RES_ANY, LDAP_MSG_ONE, &zero, &raw);
      if (rc == 0) return;
      if (rc < 0) {
        const int err = ErrorNumber(ld_.get());
        if (err == LDAP_SERVER_DOWN || err == LDAP_CONNECT_ERROR || err == LDAP_DECODING_ERROR) Disconnect();
        return;
      }
      MessagePtr m(raw);
      auto it = pending_.find(ldap_msgid(raw));
      if (it == pending_.end()) continue;  // an abandoned request's late answer, or an unsolicited notice
      Pending& p = *it->second;
      p.messages.push_back(std::move(m));
      p.notified = true;
      p.signal.cancel();
    }
  }

  asio::any_io_executor ex_;
  SessionOptions options_;
  LdapPtr ld_;
  bool tls_ = false;
  std::optional<asio::posix::stream_descriptor> socket_;
  bool reading_ = false;
  int generation_ = 0;
  std::map<int, Pending*> pending_;  // message id -> the request's state (on its coroutine's frame)
  std::future<Connected> connecting_;
  Reply last_connect_error_;
};

Session::Session(asio::any_io_executor ex, SessionOptions options)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(options))) {}
Session::~Session() = default;

awaitable<Reply> Session::Connect(Clock::time_point deadline) { return impl_->Connect(deadline); }
bool Session::Encrypted() const { return impl_->Encrypted(); }

awaitable<Reply> Session::Search(std::string base, Scope scope, std::string filter,
                                 std::vector<std::string> attributes, int page_size, std::string cookie,
                                 Clock::time_point deadline) {
  Sender send = [base = std::move(base), scope, filter = std::move(filter), attributes = std::move(attributes),
                 page_size, cookie = std::move(cookie)](LDAP* ld, int* msgid) {
    std::vector<char*> attrs;
    for (const std::string& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
    attrs.push_back(nullptr);
    LDAPControl* page = nullptr;
    if (page_size > 0) {
      berval c = View(cookie);
      const int rc = ldap_create_page_control(ld, page_size, cookie.empty() ? nullptr : &c, 0, &page);
      if (rc != LDAP_SUCCESS) return rc;
    }
    LDAPControl* controls[] = {page, nullptr};
    const int s = scope == Scope::kBase ? LDAP_SCOPE_BASE : scope == Scope::kOne ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE;
    const int rc = ldap_search_ext(ld, base.c_str(), s, filter.c_str(), attributes.empty() ? nullptr : attrs.data(), 0,
                                   page != nullptr ? controls : nullptr, nullptr, nullptr, 0, msgid);
    if (page != nullptr) ldap_control_free(page);
    return rc;
  };
  return impl_->Run(std::move(send), deadline);
}

awaitable<Reply> Session::Add(std::string dn, std::vector<Mod> attributes, Clock::time_point deadline) {
  Sender send = [dn = std::move(dn), attributes = std::move(attributes)](LDAP* ld, int* msgid) {
    ModArray mods(attributes);
    return ldap_add_ext(ld, dn.c_str(), mods.get(), nullptr, nullptr, msgid);
  };
  return impl_->Run(std::move(send), deadline);
}

awaitable<Reply> Session::Modify(std::string dn, std::vector<Mod> mods, Clock::time_point deadline) {
  Sender send = [dn = std::move(dn), mods = std::move(mods)](LDAP* ld, int* msgid) {
    ModArray array(mods);
    return ldap_modify_ext(ld, dn.c_str(), array.get(), nullptr, nullptr, msgid);
  };
  return impl_->Run(std::move(send), deadline);
}

awaitable<Reply> Session::Delete(std::string dn, Clock::time_point deadline) {
  Sender send = [dn = std::move(dn)](LDAP* ld, int* msgid) {
    return ldap_delete_ext(ld, dn.c_str(), nullptr, nullptr, msgid);
  };
  return impl_->Run(std::move(send), deadline);
}

awaitable<Reply> Session::Rename(std::string dn, std::string new_rdn, std::string new_superior,
                                 Clock::time_point deadline) {
  Sender send = [dn = std::move(dn), new_rdn = std::move(new_rdn), new_superior = std::move(new_superior)](
                    LDAP* ld, int* msgid) {
    return ldap_rename(ld, dn.c_str(), new_rdn.c_str(), new_superior.empty() ? nullptr : new_superior.c_str(), 1,
                       nullptr, nullptr, msgid);
  };
  return impl_->Run(std::move(send), deadline);
}

awaitable<Reply> Session::PasswordModify(std::string dn, std::string new_password, Clock::time_point deadline) {
  Sender send = [dn = std::move(dn), new_password = std::move(new_password)](LDAP* ld, int* msgid) {
    berval user = View(dn);
    berval pw = View(new_password);
    return ldap_passwd(ld, &user, nullptr, &pw, nullptr, nullptr, msgid);
  };
  return impl_->Run(std::move(send), deadline);
}

}  // namespace tenure::connectors::ldap

namespace tenure::connectors::ldap {

std::optional<std::pair<std::string, std::string>> SplitDn(std::string_view dn) {
  const std::string text(dn);
  LDAPDN parsed = nullptr;
  if (ldap_str2dn(text.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || parsed == nullptr ||
      parsed[0] == nullptr) {
    if (parsed != nullptr) ldap_dnfree(parsed);
    return std::nullopt;
  }
  char* rdn = nullptr;
  std::optional<std::pair<std::string, std::string>> out;
  if (ldap_rdn2str(parsed[0], &rdn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS) {
    char* parent = nullptr;
    std::string parent_text;
    if (parsed[1] != nullptr && ldap_dn2str(&parsed[1], &parent, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS) {
      parent_text = parent;
      ldap_memfree(parent);
    }
    out.emplace(rdn, parent_text);
    ldap_memfree(rdn);
  }
  ldap_dnfree(parsed);
  return out;
}

bool SameDn(std::string_view a, std::string_view b) {
  auto normal = [](std::string_view dn) {
    const std::string text(dn);
    char* out = nullptr;
    std::string result = text;
    if (ldap_dn_normalize(text.c_str(), LDAP_DN_FORMAT_LDAPV3, &out, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
        out != nullptr) {
      result = out;
    }
    ldap_memfree(out);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
  };
  return normal(a) == normal(b);
}

}  // namespace tenure::connectors::ldap
