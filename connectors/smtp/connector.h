// The `smtp` connector: sends one plain-text e-mail per call (the notices of people in the loop,
// docs/people.md), over SMTP (RFC 5321) with Boost.Asio.
//
//   send {to, subject, text} -> {message_id, to}
//
// Session: greeting 220, EHLO, STARTTLS (RFC 3207; the default, `tls: starttls`) then TLS with
// certificate and host name verification and EHLO again, or TLS from the start (`tls: implicit`,
// port 465), or none (`tls: none`, loopback test servers only); AUTH PLAIN, else AUTH LOGIN
// (RFC 4954) when a username is set, only over TLS; MAIL FROM, RCPT TO, DATA with CRLF line ends
// and dot-stuffing (RFC 5321 4.5.2), QUIT. The message has Date, From, To, Subject (RFC 2047
// encoded-word when not ASCII), Message-ID (from the idempotency key, so a retried notice is
// recognisable), MIME-Version, Content-Type text/plain; charset=utf-8 and 8bit transfer encoding.
//
// Outcomes: a 4xx reply, a refused or dropped connection before DATA -> RetryLater kTransient; a
// 5xx reply -> Failed kPermanent (the provider code is the reply code); a failure after the
// message was sent and before its reply -> Unknown (it may have been accepted). CR or LF in an
// address or the subject is refused (no header injection). The password is a secret.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/redactor.h"
#include "workflows/value.h"

namespace tenure::connectors::smtp {

struct SmtpConfig {
  std::string host;
  int port = 587;
  std::string tls = "starttls";  // starttls, implicit, none
  std::string username;          // "" = no AUTH
  std::string password;          // a secret
  std::string from;              // the envelope and header sender
  std::string ca_file;           // PEM bundle to trust instead of the system's
  std::string helo = "tenure.localdomain";
};

// From a resolved connection config. InvalidArgument names the key.
Result<SmtpConfig> ParseSmtpConfig(const Map& config);

// `redactor` must outlive the connector. Engine executor only.
std::unique_ptr<Connector> MakeSmtpConnector(SmtpConfig config, const Redactor& redactor);

// The DATA payload for `text`: CRLF line ends, a leading '.' doubled, ending in CRLF (without the
// final ".\r\n"). Exposed for tests.
std::string DotStuff(const std::string& text);
// "=?UTF-8?B?...?=" for a non-ASCII header value, the value itself otherwise.
std::string EncodeHeader(const std::string& value);

}  // namespace tenure::connectors::smtp
