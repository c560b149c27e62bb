#!/bin/sh
# Objective "patch": passes when neither the login nor the search of the shop can be injected,
# while both still work for honest input. Runs as root on the shop host.
exec python3 - <<'EOF'
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = "http://127.0.0.1:8080"
with open("/var/lib/cyrop/admin-password") as f:
    ADMIN_PASSWORD = f.read().strip()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def fetch(path, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    for attempt in range(5):  # the shop restarts within a second after an edit
        try:
            with opener.open(BASE + path, data=data, timeout=5) as response:
                return response.status, response.headers, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")
        except OSError:
            time.sleep(1)
    print("the shop is not answering on port 8080")
    sys.exit(1)


def logs_in(username, password):
    status, headers, _ = fetch("/login", {"username": username, "password": password})
    return status in (302, 303) and "shop_session=" in (headers.get("Set-Cookie") or "")


def search(term):
    return fetch("/search?" + urllib.parse.urlencode({"q": term}))


status, _, body = search("Gyokuro")
if status != 200 or "Gyokuro Yame" not in body:
    print("the search no longer finds products (expected Gyokuro Yame for 'Gyokuro')")
    sys.exit(1)
# The marker only appears when the database evaluates the concatenation, not when the page
# merely echoes the search term.
status, _, body = search("zz' UNION SELECT 'cyrop' || '-probe', 'x', 0-- ")
if "cyrop-probe" in body:
    print("the search is still injectable (UNION SELECT succeeded)")
    sys.exit(1)
if status != 200:
    print("the search fails on a quote (HTTP %d); it must treat input as data" % status)
    sys.exit(1)
for probe in ("admin'-- ", "' OR 1=1-- ", "' UNION SELECT 'admin', 'admin'-- "):
    if logs_in(probe, "wrong password"):
        print("the login is still injectable (user name %r got in)" % probe)
        sys.exit(1)
if not logs_in("admin", ADMIN_PASSWORD):
    print("the admin can no longer log in with the right password")
    sys.exit(1)
print("login and search use parameterised queries")
EOF
