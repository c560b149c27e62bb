#!/bin/sh
# Objective "lock-weak-account": passes when the service account with the leaked password is
# removed, locked or expired, or no longer has any password from the leaked list.
# Runs as root on srv01.
exec python3 - <<'EOF'
import subprocess
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # deprecated since Python 3.11, still shipped with Debian 12's python3.11

user = open("/var/lib/cyrop/weak-user").read().strip()
entry = subprocess.run(["getent", "shadow", user], capture_output=True, text=True).stdout.strip()
if not entry:
    print("account %s has been removed" % user)
    sys.exit(0)
fields = entry.split(":")
hashed, expire = fields[1], fields[7]
if hashed.startswith(("!", "*")):
    print("account %s is locked" % user)
    sys.exit(0)
if expire and int(expire) <= time.time() // 86400:
    print("account %s has expired" % user)
    sys.exit(0)
with open("/var/lib/cyrop/wordlist") as f:
    for word in (line.strip() for line in f):
        if word and crypt.crypt(word, hashed) == hashed:
            print("account %s still has a password from the leaked list" % user)
            sys.exit(1)
print("account %s has a new password" % user)
EOF
