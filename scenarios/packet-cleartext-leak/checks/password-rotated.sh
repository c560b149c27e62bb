#!/bin/sh
# Objective "rotate-password": passes when the leaked intranet credentials no longer open the
# intranet while the intranet still asks for a login. Runs as root on the intranet host.
exec python3 - <<'EOF'
import base64
import sys
import urllib.error
import urllib.request

with open("/var/lib/intranet/leaked-credentials") as f:
    leaked = f.read().strip()


def status(credentials):
    request = urllib.request.Request("http://127.0.0.1:8080/reports/")
    if credentials:
        token = base64.b64encode(credentials.encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        print("the intranet is not answering: %s" % error)
        sys.exit(1)


if status(None) != 401:
    print("the intranet no longer asks for a login")
    sys.exit(1)
if status(leaked) != 401:
    print("the leaked password still opens the intranet")
    sys.exit(1)
print("the leaked password has been replaced")
EOF
