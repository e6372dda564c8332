#!/usr/bin/env python3
"""End-to-end: a decision by a person through a link the sandbox captured, in a real browser.

Starts the sandbox and `tenure daemon --http` on free loopback ports with a private database,
starts an offboarding whose manager is asked by Slack DM, follows the link from the captured
message in headless Chromium (Selenium), answers "no", and checks that the run goes on without
the forward and records who decided. Then: the reused link, an expired one and a tampered one
are refused with a clear page and nothing recorded; the run page shows the new state.
Screenshots of each page go to $TENURE_E2E_SHOTS (default: the temp dir) when a check fails.

Usage: browser_e2e.py TENURE_BINARY SOURCE_DIR. Exit 77 (skipped) without selenium/chromium.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.common.exceptions import TimeoutException
except ImportError:
    print("SKIP: python3-selenium is not installed (scripts/setup.sh --test)")
    sys.exit(77)

TENURE, SRC = sys.argv[1], sys.argv[2]
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not os.path.exists(DRIVER):
    print("SKIP: chromium-driver is not installed (scripts/setup.sh --test)")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="tenure_e2e_")
shots = os.environ.get("TENURE_E2E_SHOTS", tmp)
procs = []
browser = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(msg):
    print("FAIL:", msg)
    if browser is not None:
        path = os.path.join(shots, "failure-%d.png" % int(time.time() * 1000))
        try:
            browser.save_screenshot(path)
            print("screenshot:", path)
            print("page source:\n", browser.page_source[:4000])
        except Exception as e:  # the browser may be gone
            print("no screenshot:", e)
    cleanup()
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok:", msg)


def cleanup():
    global browser
    if browser is not None:
        try:
            browser.quit()
        except Exception:
            pass
        browser = None
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def get_json(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


def wait_for(what, fn, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def tenure(*args, check_rc=None):
    p = subprocess.run([TENURE, *args], env=env, capture_output=True, text=True, timeout=120)
    if check_rc is not None and p.returncode != check_rc:
        fail("tenure %s exited %d: %s %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


sandbox_port, http_port = free_port(), free_port()
db = os.path.join(tmp, "tenure.db")
env = dict(os.environ, TENURE_DB=db, TENURE_SLACK_URL="http://127.0.0.1:%d/api" % sandbox_port,
           TENURE_SLACK_TOKEN="sandbox-token", TENURE_HTTP_URL="http://127.0.0.1:%d" % sandbox_port)
sandbox = "http://127.0.0.1:%d" % sandbox_port
console = "http://127.0.0.1:%d" % http_port


def _try(fn):
    try:
        return fn()
    except Exception:
        return None


procs.append(subprocess.Popen([TENURE, "sandbox", "serve", "--port", str(sandbox_port), "--quiet"], env=env,
                              stdout=subprocess.DEVNULL))
wait_for("the sandbox", lambda: _try(lambda: get_json(sandbox + "/_sandbox/state")))
# The manager has a Slack account (the sandbox's Slack users are its SCIM users with an e-mail).
req = urllib.request.Request(sandbox + "/scim/v2/Users", method="POST",
                             data=json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                              "userName": "mgr@example.com",
                                              "emails": [{"value": "mgr@example.com", "primary": True}]}).encode(),
                             headers={"Content-Type": "application/scim+json", "Authorization": "Bearer sandbox-token"})
urllib.request.urlopen(req, timeout=10).read()

playbook = os.path.join(SRC, "tests/console/people_offboarding.yaml")
started = tenure("run", playbook, "--set", "name=<b>Ada</b>", "--set", "manager=mgr@example.com", "--json")
check(started.returncode == 3, "the run waits for the manager (exit 3)")
run_id = re.search(r'"run":"(r[0-9a-z-]+)"', started.stdout) or re.search(r"(r\d{8}-\d{6}-[0-9a-f]{6})", started.stdout)
check(run_id is not None, "the run id is printed")
run_id = run_id.group(1)

procs.append(subprocess.Popen([TENURE, "daemon", "--http", "127.0.0.1:%d" % http_port, "--poll", "200ms",
                               "--link-ttl", "20s"], env=env,
                              stdout=open(os.path.join(tmp, "daemon.log"), "w"), stderr=subprocess.STDOUT))
token = open(db + ".admin-token").read().strip() if wait_for(
    "the admin token", lambda: os.path.exists(db + ".admin-token")) else None


def captured_links():
    state = _try(lambda: get_json(sandbox + "/_sandbox/state"))
    if not state:
        return None
    text = json.dumps(state)
    return re.findall(r"(http://127\.0\.0\.1:%d/d/[A-Za-z0-9_\-\.]+)" % http_port, text)


links = wait_for("a Slack DM with a link", captured_links)
link = links[0]
print("link:", link[:60] + "...")

opts = Options()
opts.add_argument("--headless=new")
opts.add_argument("--no-sandbox")
opts.add_argument("--disable-gpu")
opts.add_argument("--user-data-dir=" + os.path.join(tmp, "chrome"))
browser = webdriver.Chrome(service=Service(DRIVER), options=opts)
browser.set_page_load_timeout(30)

browser.get(link)
check("Decision needed" in browser.page_source, "the link opens the question")
check("&lt;b&gt;Ada&lt;/b&gt;" in browser.page_source and not browser.find_elements(By.TAG_NAME, "b"),
      "the leaver's name with markup is shown inert")
browser.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("no forward, per HR")
browser.find_element(By.CSS_SELECTOR, "button[value=no]").click()
# The click starts a navigation; wait for its page rather than reading the old one under load.
try:
    WebDriverWait(browser, 20).until(lambda b: "Recorded" in b.page_source)
except TimeoutException:
    pass
check("Recorded" in browser.page_source and "mgr@example.com" in browser.page_source, "the answer is recorded")


def run_status():
    st = json.loads(tenure("status", run_id, "--json").stdout)
    return st if st["status"] == "succeeded" else None


st = wait_for("the run to go on and succeed", run_status)
tasks = {t["task"]: t for t in st["tasks"]}
check(tasks["forward"]["decided_by"] == "mgr@example.com", "the decision records the manager")
check(tasks["forward"]["result"]["choice"] == "no", "the choice is no")
check(tasks["set_forward"]["status"] == "skipped", "the forward was not set")
check(tasks["close_account"]["status"] == "succeeded", "the run went on")

# Reused: the same link again.
browser.get(link)
check("already used" in browser.page_source, "a reused link is refused")
# Tampered: one character of the signature changed.
bad = link[:-1] + ("A" if link[-1] != "A" else "B")
browser.get(bad)
check("not valid" in browser.page_source, "a tampered link is refused")
# Expired: a second run whose link lives 20 seconds (--link-ttl) and is opened after that.
second = tenure("run", playbook, "--set", "name=Bob", "--set", "manager=mgr@example.com", "--set", "due=1s", "--json")
check(second.returncode == 3, "a second run waits")
links2 = wait_for("a second link", lambda: [l for l in (captured_links() or []) if l not in links] or None)
time.sleep(21)
browser.get(links2[0])
check("expired" in browser.page_source, "an expired link is refused")
# CSRF: a form post without the cookie's token.
r = _try(lambda: urllib.request.urlopen(urllib.request.Request(link, data=b"choice=yes&csrf=x", method="POST"), timeout=10))
check(r is None, "a form post without the CSRF token is refused")

# The run page (admin) shows the new state.
browser.get(console + "/login")
browser.find_element(By.NAME, "token").send_keys(token)
browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
wait_for("the runs page after signing in", lambda: browser.title.startswith("Runs"))
browser.get(console + "/runs/" + run_id)
wait_for("the run page", lambda: browser.title.startswith("Run " + run_id))
check("<strong>succeeded</strong>" in browser.page_source and "decided 'no' by mgr@example.com (link " in browser.page_source,
      "the run page shows the run succeeded and who decided")
st2 = json.loads(tenure("status", run_id, "--json").stdout)
check(st2["tasks"][0]["result"]["choice"] == "no", "nothing was recorded by the refused links")
cleanup()
shutil.rmtree(tmp, ignore_errors=True)
print("PASS")
