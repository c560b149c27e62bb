#!/usr/bin/env python3
# Kitahama Tea Shop: the deliberately vulnerable web application of the web-sqli-pivot scenario.
# Runs as the unprivileged user "shop" on port 8080. The two queries marked VULNERABLE build SQL
# from user input; fixing them is the last objective of the scenario.
import base64
import hashlib
import html
import http.cookies
import http.server
import secrets
import sqlite3
import struct
import urllib.parse
import urllib.request

DB = "/srv/app/data/shop.db"
FLAG_FILE = "/srv/app/data/admin-flag.txt"
PORT = 8080
SESSIONS = {}  # session id -> (username, role)
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
LIVE_SCRIPT = ("<script>(function(){var p=document.getElementById('live');"
               "var ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/live');"
               "ws.onmessage=function(e){p.textContent=e.data};"
               "ws.onclose=function(){p.textContent+=' (tea room closed)'}})();</script>")

STYLE = "body{font-family:sans-serif;max-width:52em;margin:2em auto}td,th{padding:.2em .8em}"


def page(title, body):
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title>"
            "<style>%s</style></head><body><h1>%s</h1>%s"
            "<hr><p><a href=\"/\">Shop</a> | <a href=\"/login\">Staff login</a></p></body></html>"
            % (html.escape(title), STYLE, html.escape(title), body)).encode()


def connect():
    db = sqlite3.connect(DB)
    # Keeps heavy payloads (sqlmap's RANDOMBLOB(500000000) delays) from exhausting the memory.
    db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000)
    return db


class Shop(http.server.BaseHTTPRequestHandler):
    server_version = "KitahamaShop/1.4"

    def send(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body is not None:
            self.wfile.write(body)

    def session(self):
        cookie = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get("shop_session")
        return SESSIONS.get(morsel.value) if morsel else None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/live" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.tea_room()
            return
        query = urllib.parse.parse_qs(url.query)
        routes = {"/": self.home, "/search": self.search, "/login": self.login_form,
                  "/admin": self.admin, "/admin/preview": self.preview}
        handler = routes.get(url.path)
        if handler is None:
            self.send(404, page("Not found", "<p>No such page.</p>"))
            return
        try:
            handler(query)
        except sqlite3.Error as error:
            self.database_error(error)

    def do_POST(self):
        if self.path != "/login":
            self.send(404, page("Not found", "<p>No such page.</p>"))
            return
        length = min(int(self.headers.get("Content-Length") or 0), 8192)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
        try:
            self.login(form)
        except sqlite3.Error as error:
            self.database_error(error)

    def tea_room(self):
        # The home page's live line: a WebSocket (RFC 6455, text frames only) that greets the
        # visitor and answers each message, so that the tab shows it works through the platform.
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.close_connection = True
        self.ws_send("Tea room: today's tea is Gyokuro, 5 tins left")
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            if length > 65536:
                return
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 8:  # close
                self.wfile.write(b"\x88\x00")
                return
            if opcode == 1:
                self.ws_send("Tea room: you said " + data.decode(errors="replace")[:200])

    def ws_send(self, text):
        data = text.encode()
        self.wfile.write(bytes([0x81, len(data)]) + data if len(data) < 126
                         else bytes([0x81, 126]) + struct.pack(">H", len(data)) + data)
        self.wfile.flush()

    def database_error(self, error):
        detail = "%s.%s: %s" % (type(error).__module__, type(error).__name__, error)
        self.send(500, page("Database error", "<pre>%s</pre>" % html.escape(detail)))

    def home(self, _query):
        body = ("<p>Fine Japanese teas since 1952.</p>"
                "<form action=\"/search\"><input name=\"q\" placeholder=\"Search teas\">"
                "<button>Search</button></form><p id=\"live\">Connecting to the tea room...</p>"
                + LIVE_SCRIPT)
        self.send(200, page("Kitahama Tea Shop", body))

    def search(self, query):
        q = (query.get("q") or [""])[0]
        db = connect()
        sql = "SELECT name, description, price FROM products WHERE name LIKE '%" + q + "%' ORDER BY name"  # VULNERABLE
        rows = db.execute(sql).fetchall()
        db.close()
        table = "".join("<tr><td>%s</td><td>%s</td><td>%s</td></tr>"
                        % tuple(html.escape(str(v)) for v in row) for row in rows)
        body = ("<p>%d result(s) for <b>%s</b></p><table><tr><th>Tea</th><th>Description</th>"
                "<th>Price (JPY)</th></tr>%s</table>" % (len(rows), html.escape(q), table))
        self.send(200, page("Search", body))

    def login_form(self, _query, message=""):
        body = ("%s<form method=\"post\" action=\"/login\">"
                "<p><label>User <input name=\"username\"></label></p>"
                "<p><label>Password <input name=\"password\" type=\"password\"></label></p>"
                "<button>Log in</button></form>" % message)
        self.send(200, page("Staff login", body))

    def login(self, form):
        username = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        digest = hashlib.sha256(password.encode()).hexdigest()
        db = connect()
        sql = "SELECT username, role FROM users WHERE username = '" + username + "' AND password_hash = '" + digest + "'"  # VULNERABLE
        row = db.execute(sql).fetchone()
        db.close()
        if row is None:
            self.login_form(None, "<p style=\"color:#b00\">Invalid user name or password.</p>")
            return
        sid = secrets.token_hex(16)
        SESSIONS[sid] = (row[0], row[1])
        self.send(303, None, [("Location", "/admin" if row[1] == "admin" else "/"),
                              ("Set-Cookie", "shop_session=%s; HttpOnly; Path=/" % sid)])

    def admin(self, _query):
        user = self.session()
        if not user or user[1] != "admin":
            self.send(303, None, [("Location", "/login")])
            return
        with open(FLAG_FILE) as f:
            flag = f.read().strip()
        body = ("<p>Welcome, %s.</p><p>Shop licence key: <code>%s</code></p>"
                "<h2>Operations notes</h2><ul>"
                "<li>Nightly exports go to the backup API at <code>http://backup.internal:8000/</code> "
                "on the internal network. Its token is in the <code>api_tokens</code> table "
                "(name <code>backup-export</code>).</li>"
                "<li>TODO: remove the link preview before go-live.</li></ul>"
                "<h2>Link preview (beta)</h2><form action=\"/admin/preview\">"
                "<input name=\"url\" size=\"50\" placeholder=\"http://\"><button>Preview</button></form>"
                % (html.escape(user[0]), html.escape(flag)))
        self.send(200, page("Shop administration", body))

    def preview(self, query):
        user = self.session()
        if not user or user[1] != "admin":
            self.send(303, None, [("Location", "/login")])
            return
        url = (query.get("url") or [""])[0]
        if not url.startswith(("http://", "https://")):
            self.send(400, page("Link preview", "<p>Only http and https links.</p>"))
            return
        try:
            with urllib.request.urlopen(url, timeout=4) as response:
                text = response.read(4000).decode(errors="replace")
        except Exception as error:  # the preview shows any failure to the admin
            text = "fetch failed: %s" % error
        self.send(200, page("Link preview", "<pre>%s</pre>" % html.escape(text)))


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Shop).serve_forever()
