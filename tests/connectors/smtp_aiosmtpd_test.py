#!/usr/bin/env python3
"""The smtp connector against a real SMTP server: aiosmtpd (Debian's python3-aiosmtpd) on
127.0.0.1 with STARTTLS required (a certificate made here for `localhost`), AUTH required over TLS.

`tenure run` sends one e-mail; the test checks what the server received (envelope, headers, a
non-ASCII subject, a body line starting with '.', the AUTH user), then that a wrong password fails
the task without the password, and that an untrusted certificate is
refused. Usage: smtp_aiosmtpd_test.py TENURE_BINARY. Exit 77 (skipped) without aiosmtpd.
"""
import email
import email.header
import email.policy
import os
import subprocess
import sys
import tempfile

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, SMTP
except ImportError:
    print("SKIP: python3-aiosmtpd is not installed (scripts/setup.sh --test)")
    sys.exit(77)
import ssl

TENURE = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="tenure_smtp_")
cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
received = []
logins = []


class Handler:
    async def handle_DATA(self, server, session, envelope):
        received.append(envelope)
        return "250 OK queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"tenure" and auth_data.password == b"s3cret-pass"
    if ok:
        logins.append((mechanism, auth_data.login.decode()))
    return AuthResult(success=ok)


tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)
import socket  # noqa: E402

with socket.socket() as probe:  # aiosmtpd's Controller cannot take port 0: pick a free one
    probe.bind(("127.0.0.1", 0))
    free = probe.getsockname()[1]
controller = Controller(Handler(), hostname="127.0.0.1", port=free, tls_context=tls, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True)
controller.start()
port = free
failures = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def run(password, ca_file, db):
    playbook = os.path.join(tmp, "mail.yaml")
    with open(playbook, "w") as f:
        f.write("""playbook: mail
connections:
  mail:
    connector: smtp
    host: localhost
    port: %d
    username: tenure
    password: ${env:SMTP_PASSWORD}
    from: tenure@example.com
%s
tasks:
  tell:
    uses: mail.send
    retry: { attempts: 1 }
    timeout: 5s
    with:
      to: mgr@example.com
      subject: "Décision: forward?"
      text: "Hello,\\n.leading dot line\\n\\nbye"
""" % (port, "    ca_file: " + ca_file if ca_file else ""))
    env = dict(os.environ, TENURE_DB=os.path.join(tmp, db), SMTP_PASSWORD=password)
    return subprocess.run([TENURE, "run", playbook, "--json"], env=env, capture_output=True, text=True, timeout=120)


try:
    r = run("s3cret-pass", cert, "ok.db")
    check(r.returncode == 0, "the run succeeds (exit %d: %s)" % (r.returncode, r.stderr[-500:]))
    check(len(received) == 1, "the server received one message")
    if received:
        env = received[0]
        check(env.mail_from == "tenure@example.com" and env.rcpt_tos == ["mgr@example.com"], "the envelope")
        msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
        check(str(msg["Subject"]) == "Décision: forward?", "the non-ASCII subject is an encoded word")
        check(msg["Message-ID"].endswith("@tenure>"), "a Message-ID")
        check(msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8", "text/plain; utf-8")
        body = msg.get_content()
        check(body.replace("\r\n", "\n") == "Hello,\n.leading dot line\n\nbye\n", "the body, dot line intact: %r" % body)
    check(logins and logins[0][1] == "tenure", "AUTH over TLS with the configured user")

    bad = run("wrong-pass", cert, "bad.db")
    check(bad.returncode == 1, "a wrong password fails the run")
    # aiosmtpd holds its answer to a failed AUTH (past the task's timeout): the attempt times out.
    check("AUTH" in bad.stdout + bad.stderr or "timed out" in bad.stdout + bad.stderr, "at AUTH")
    check(len(received) == 1, "nothing was delivered")
    check("wrong-pass" not in bad.stdout + bad.stderr, "without the password")

    untrusted = run("s3cret-pass", "", "untrusted.db")
    check(untrusted.returncode == 1, "an untrusted certificate is refused")
    check("TLS handshake failed" in untrusted.stdout + untrusted.stderr, "saying the TLS handshake failed")
    check(len(received) == 1, "nothing more was delivered")
    # The sandbox's SMTP personality captures what the connector sends (tls: none, no AUTH).
    import json, time, urllib.request  # noqa: E401,E402
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        http_port, smtp_port = a.getsockname()[1], b.getsockname()[1]
    sandbox = subprocess.Popen([TENURE, "sandbox", "serve", "--port", str(http_port), "--smtp-port", str(smtp_port),
                                "--quiet"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", smtp_port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        playbook = os.path.join(tmp, "sandbox_mail.yaml")
        with open(playbook, "w") as f:
            f.write("""playbook: sandbox-mail
connections:
  mail: { connector: smtp, host: 127.0.0.1, port: %d, tls: none, from: tenure@example.com }
tasks:
  tell: { uses: mail.send, with: { to: mgr@example.com, subject: Hi, text: "Open\\n..the link\\n" } }
""" % smtp_port)
        r = subprocess.run([TENURE, "run", playbook], env=dict(os.environ, TENURE_DB=os.path.join(tmp, "sb.db")),
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "the run sends to the sandbox (%s)" % r.stderr[-300:])
        state = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/_sandbox/state" % http_port).read())
        emails = state.get("emails", [])
        check(len(emails) == 1 and emails[0]["to"] == ["mgr@example.com"], "the sandbox captured the e-mail")
        check(emails and "\r\n..the link\r\n" in emails[0]["data"] and "Subject: Hi" in emails[0]["data"],
              "with its headers, and its body as written")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=20)
finally:
    controller.stop()
sys.exit(1 if failures else 0)
