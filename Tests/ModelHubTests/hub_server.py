"""A local stand-in for the Hugging Face Hub used by the ModelHub tests and the CLI cross-checks.

    python3 hub_server.py ROOT LOG TOKEN   # prints the port it listens on (127.0.0.1 only)

Serves /{repo}/resolve/{revision}/{file} from ROOT/{repo}/ (see HubServer.swift for the switches).
"""
import hashlib, json, os, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, LOG, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()

def log(method, path, rng, status, sent, auth):
    with lock, open(LOG, "a") as f:
        f.write(json.dumps({"method": method, "path": path, "range": rng, "status": status,
                            "bytes": sent, "auth": auth}) + "\n")

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

def git_sha1(path):
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.handle_request(False)

    def do_GET(self):
        self.handle_request(True)

    def reply(self, status, headers, body=b""):
        # Logged before the response goes out, so a client that has its answer finds it in the log.
        log(self.command, self.path, self.headers.get("Range"), status,
            len(body) if self.command == "GET" else 0, "Authorization" in self.headers)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET" and getattr(self, "slow", False):
            # A trickle: each piece within the client's stall timeout, the whole well beyond it.
            for i in range(4):
                self.wfile.write(body[i * len(body) // 4:(i + 1) * len(body) // 4])
                self.wfile.flush()
                time.sleep(0.4)
        elif self.command == "GET":
            self.wfile.write(body)

    def serve_file(self, path, headers):
        size = os.path.getsize(path)
        rng = self.headers.get("Range")
        start, end, status = 0, size - 1, 200
        if rng:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            if start >= size:
                return self.reply(416, {"Content-Range": "bytes */%d" % size})
            status = 206
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
        with open(path, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        headers["Accept-Ranges"] = "bytes"
        self.reply(status, headers, body)

    def handle_request(self, get):
        path = self.path
        if path.startswith("/cdn/"):
            return self.serve_file(os.path.join(ROOT, path[len("/cdn/"):]), {})
        if "/resolve/" not in path:
            return self.reply(404, {})
        repo, rest = path[1:].split("/resolve/", 1)
        revision, name = rest.split("/", 1)
        folder = os.path.join(ROOT, repo)
        if not os.path.isfile(os.path.join(folder, ".commit")):
            return self.reply(404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"})
        if os.path.exists(os.path.join(folder, ".stall")):
            time.sleep(30)
        if os.path.exists(os.path.join(folder, ".gated")) and \
                self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.reply(401, {"X-Error-Code": "GatedRepo", "X-Error-Message": "Access restricted"})
        commit = open(os.path.join(folder, ".commit")).read().strip()
        if revision not in ("main", commit):
            return self.reply(404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev"})
        file = os.path.join(folder, name)
        self.slow = name == "config.json" and os.path.exists(os.path.join(folder, ".slow"))
        headers = {"X-Repo-Commit": commit}
        if name.startswith(".") or not os.path.isfile(file):
            headers.update({"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found"})
            return self.reply(404, headers)
        if name.endswith(".safetensors") or name == "tokenizer.json":
            digest = sha256(file)
            if os.path.exists(os.path.join(folder, ".bad_etag")):
                digest = hashlib.sha256(b"something else").hexdigest()
            headers.update({"X-Linked-Etag": '"%s"' % digest, "X-Linked-Size": str(os.path.getsize(file))})
            if name.endswith(".safetensors"):
                # A gated repository's files come from another origin (port), as the Hub's CDN.
                gated = os.path.exists(os.path.join(folder, ".gated"))
                origin = "http://127.0.0.1:%d" % cdn.server_address[1] if gated else ""
                headers["Location"] = "%s/cdn/%s/%s" % (origin, repo, name)
                return self.reply(302, headers)
            headers["ETag"] = '"%s"' % digest
        else:
            headers["ETag"] = '"%s"' % git_sha1(file)
        self.serve_file(file, headers)

# Never outlives a crashed test run by more than a minute.
threading.Timer(60, os._exit, [0]).start()
ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
cdn = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=cdn.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
