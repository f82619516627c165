"""`unargmax serve`: the results database over real HTTP, and its page in a real headless browser.

A database is filled by `unargmax check --db` with the bundled model (five unargmaxable tokens) and the
bundled layer; `unargmax serve --port 0` (which runs the separately built `unargmax-serve`) serves it on a
free loopback port. Every API answer must equal what `unargmax results` prints for the same query, errors
are JSON with the right status, and Debian's Chromium, headless, must show the model's five unargmaxable
tokens on the page (a screenshot goes to .build/test-artefacts/serve-page.png).

Needs `make serve` (the server binary; UNARGMAX_SERVE names it) and `chromium`: `make test-serve` provides
both and runs this file.
"""
import fcntl
import html.parser
import json
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
MODEL = os.path.join(ROOT, "Examples/tiny-bert-mlm")
LAYER = os.path.join(ROOT, "Examples/random-2000x6-bias.npz")
ARTEFACTS = os.path.join(ROOT, ".build/test-artefacts")
# Made unargmaxable by Examples/make_example_model.py.
FIVE_TOKENS = {"never", "impossible", "unreachable", "hidden", "silent"}
HOSTILE = {"never": "<script>alert(1)</script>", "hidden": '<img src=x onerror="alert(2)">&amp;'}


@pytest.fixture(scope="module")
def server_binary():
    binary = os.environ.get("UNARGMAX_SERVE", os.path.join(ROOT, "Server/.build/debug/unargmax-serve"))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"unargmax-serve not found at {binary}: run `make test-serve` (it builds it with `make serve`)")
    return binary


def chromium_binary():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("chromium not found: `make test-serve` installs Debian's chromium")
    return binary


class Server:
    """`unargmax serve --db DB --port 0` in the background; `stop()` kills it (the fixtures always call it)."""

    def __init__(self, unargmax_path, database, server_binary, extra=()):
        env = dict(os.environ, UNARGMAX_SERVE=server_binary)
        self.process = subprocess.Popen(
            [unargmax_path, "serve", "--db", database, "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        first = {}
        reader = threading.Thread(target=lambda: first.setdefault("line", self.process.stdout.readline()))
        reader.start()
        reader.join(60)
        line = first.get("line", "")
        if not line.startswith("http://"):
            self.stop()
            raise AssertionError(f"the server printed no URL first: {line!r}; stderr: {self.process.stderr.read()}")
        self.url = line.split()[0].rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()

    def request(self, path, method="GET"):
        """(status, headers, body bytes) of one real HTTP request."""
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read()


def unargmax_path():
    return os.environ.get("UNARGMAX", os.path.join(ROOT, ".build/debug/unargmax"))


@pytest.fixture(scope="module")
def database(tmp_path_factory, unargmax):
    path = str(tmp_path_factory.mktemp("serve") / "results.db")
    unargmax("check", MODEL, "--db", path, "--quiet")
    unargmax("check", LAYER, "--db", path, "--quiet")
    return path


@pytest.fixture(scope="module")
def server(database, server_binary):
    server = Server(unargmax_path(), database, server_binary)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def results(database):
    """The bytes `unargmax results` prints for a query, the reference the API must equal."""

    def run(kind, *arguments, format="json"):
        proc = subprocess.run([unargmax_path(), "results", kind, "--db", database, *arguments, "--format", format],
                              capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    return run


def get_json(server, path, status=200):
    code, headers, body = server.request(path)
    assert code == status, body
    assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
    return json.loads(body)


QUERIES = [
    ("/api/experiments", "experiments", []),
    ("/api/experiments?model=tiny-bert", "experiments", ["--model", "tiny-bert"]),
    ("/api/models", "models", []),
    ("/api/models?model=RANDOM", "models", ["--model", "RANDOM"]),
    ("/api/classes?model=tiny-bert&verdict=unargmaxable", "classes", ["--model", "tiny-bert", "--verdict",
                                                                       "unargmaxable"]),
    ("/api/classes?verdict=undecided", "classes", ["--verdict", "undecided"]),
    ("/api/classes?model=random-2000&verdict=argmaxable", "classes", ["--model", "random-2000", "--verdict",
                                                                       "argmaxable"]),
]


@pytest.mark.parametrize("path, kind, arguments", QUERIES)
def test_json_equals_results_command(server, results, path, kind, arguments):
    assert get_json(server, path) == json.loads(results(kind, *arguments))


@pytest.mark.parametrize("path, kind, arguments", QUERIES)
def test_csv_equals_results_command(server, results, path, kind, arguments):
    code, headers, body = server.request(path + ("&" if "?" in path else "?") + "format=csv")
    assert code == 200
    assert headers["Content-Type"].startswith("text/csv")
    expected = results(kind, *arguments, format="csv")
    assert b"\r\n" in body  # RFC 4180 line ends, byte for byte as the CLI prints them
    # The CLI prints through `print`, which ends the text with one newline of its own.
    assert body == expected or body + b"\n" == expected


def test_the_five_unargmaxable_tokens(server, unargmax_json):
    rows = get_json(server, "/api/classes?model=tiny-bert&verdict=unargmaxable")
    assert {row["token"] for row in rows} == FIVE_TOKENS
    assert all(row["verdict"] == "unargmaxable" for row in rows)
    # The same classes as a fresh check of the model, independently of the database.
    report = unargmax_json("check", MODEL, "--quiet")
    expected = {c["index"] for c in report["classes"] if c["verdict"] == "unargmaxable"}
    assert {row["class_index"] for row in rows} == expected
    experiments = get_json(server, "/api/experiments?model=tiny-bert")
    assert len(experiments) == 1 and experiments[0]["unargmaxable"] == 5


def test_head_has_the_get_headers_and_no_body(server):
    for path in ["/", "/api/experiments", "/api/classes?verdict=unargmaxable&format=csv"]:
        get_code, get_headers, get_body = server.request(path)
        code, headers, body = server.request(path, method="HEAD")
        assert (code, body) == (200, b"")
        assert headers["Content-Type"] == get_headers["Content-Type"]
        assert int(headers["Content-Length"]) == len(get_body)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/api/experiments", "/api/classes", "/api/nothing"])
def test_only_reading_methods(server, method, path):
    code, headers, body = server.request(path, method=method)
    assert code == 405
    assert headers["Allow"] == "GET, HEAD"
    assert "read-only" in json.loads(body)["error"]


@pytest.mark.parametrize("path, words", [
    ("/api/classes?verdict=maybe", ["verdict", "maybe", "unargmaxable"]),
    ("/api/classes?model=x&model=y", ["model", "twice"]),
    ("/api/experiments?verdict=argmaxable", ["verdict", "/api/experiments"]),
    ("/api/models?format=xml", ["format", "xml", "csv"]),
    ("/api/classes?model=%zz", ["percent-encoding"]),
])
def test_bad_parameters_are_400_with_a_json_error(server, path, words):
    error = get_json(server, path, status=400)["error"]
    for word in words:
        assert word in error


@pytest.mark.parametrize("path", ["/api", "/api/runs", "/favicon.ico", "/../etc/passwd", "/api/classes/5"])
def test_unknown_paths_are_404(server, path):
    assert "no such resource" in get_json(server, path, status=404)["error"]


def test_percent_encoded_filters(server, results):
    assert get_json(server, "/api/models?model=tiny%2Dbert") == json.loads(results("models", "--model", "tiny-bert"))
    assert get_json(server, "/api/models?model=no+such+model") == []


def test_bound_to_loopback_only(server):
    # The listening socket in the kernel's table: 127.0.0.1 (0100007F), not 0.0.0.0.
    listening = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            address, port = fields[1].split(":")
            if fields[3] == "0A" and int(port, 16) == server.port:
                listening.add(address)
    assert listening == {"0100007F"}
    # And a connection to one of this machine's other addresses is refused.
    others = other_addresses()
    for address in others:
        with socket.socket() as probe:
            probe.settimeout(5)
            assert probe.connect_ex((address, server.port)) != 0, address


def other_addresses():
    """This machine's IPv4 addresses other than loopback (`hostname -I`; none on an isolated machine)."""
    try:
        output = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [a for a in output.split() if "." in a and not a.startswith("127.")]


def test_missing_database_is_a_clear_error(tmp_path, server_binary):
    missing = tmp_path / "no-such.db"
    env = dict(os.environ, UNARGMAX_SERVE=server_binary)
    proc = subprocess.run([unargmax_path(), "serve", "--db", str(missing), "--port", "0"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode != 0
    assert str(missing) in proc.stderr
    assert "Fatal error" not in proc.stderr and "Stack dump" not in proc.stderr
    assert not missing.exists()


def test_unreachable_postgresql_is_a_clear_error_without_the_password(server_binary):
    env = dict(os.environ, UNARGMAX_SERVE=server_binary)
    proc = subprocess.run([unargmax_path(), "serve", "--db", "postgresql://me:hunter2@127.0.0.1:1/results",
                           "--port", "0"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode != 0
    assert "127.0.0.1:1/results" in proc.stderr and "cannot connect" in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout


def test_unbuilt_server_says_how_to_build_it(tmp_path):
    env = dict(os.environ, UNARGMAX_SERVE=str(tmp_path / "unargmax-serve"))
    proc = subprocess.run([unargmax_path(), "serve", "--db", "x.db"], capture_output=True, text=True, timeout=60,
                          env=env)
    assert proc.returncode != 0
    assert "make serve" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_port_in_use_is_a_clear_error(server, server_binary, database):
    env = dict(os.environ, UNARGMAX_SERVE=server_binary)
    proc = subprocess.run([unargmax_path(), "serve", "--db", database, "--port", str(server.port)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode != 0
    assert f"127.0.0.1:{server.port}: Address already in use" in proc.stderr
    assert "Fatal error" not in proc.stderr


# The page, in a real browser.

class TableText(html.parser.HTMLParser):
    """The rows of the table inside the element with the given id, as lists of cell texts."""

    def __init__(self, container):
        super().__init__()
        self.container, self.depth, self.rows, self.cell = container, 0, [], None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in ("meta", "input", "br", "img")
        elif dict(attrs).get("id") == self.container:
            self.depth = 1
        if self.depth and tag == "tr":
            self.rows.append([])
        if self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def chromium(tmp_path, *arguments):
    profile = tmp_path / "chromium-profile"
    command = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=10000", *arguments]
    # Chromium puts its scratch files and a socket in TMPDIR: a folder of its own, removed afterwards, with a
    # short path (a socket's path has at most 107 bytes, too few below pytest's tmp_path).
    scratch = tempfile.mkdtemp(prefix="chromium-")
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, TMPDIR=scratch, HOME=str(tmp_path)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def page_tokens(dom):
    parser = TableText("tokens")
    parser.feed(dom)
    header, *rows = parser.rows
    column = header.index("token")
    return [row[column] for row in rows]


def test_page_shows_the_unargmaxable_tokens_in_chromium(server, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", server.url + "/?model=tiny-bert")
    assert sorted(page_tokens(dom)) == sorted(FIVE_TOKENS)
    experiments = TableText("experiments")
    experiments.feed(dom)
    assert len(experiments.rows) == 2 and "tiny-bert-mlm" in experiments.rows[1]

    os.makedirs(ARTEFACTS, exist_ok=True)
    screenshot = os.path.join(ARTEFACTS, "serve-page.png")
    if os.path.exists(screenshot):
        os.remove(screenshot)
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,900",
             server.url + "/?model=tiny-bert")
    with open(screenshot, "rb") as image:
        data = image.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    print(f"\nscreenshot of the page: {screenshot}")


def test_page_shows_hostile_tokens_as_text(tmp_path, unargmax, server_binary):
    # The bundled model with two of its unargmaxable tokens renamed to markup.
    folder = tmp_path / "hostile-tokens"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(MODEL, name), folder / name)
    with open(os.path.join(MODEL, "tokenizer.json")) as source:
        tokenizer = json.load(source)
    vocabulary = tokenizer["model"]["vocab"]
    for plain, markup in HOSTILE.items():
        vocabulary[markup] = vocabulary.pop(plain)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    database = str(tmp_path / "hostile.db")
    unargmax("check", str(folder), "--db", database, "--quiet")
    server = Server(unargmax_path(), database, server_binary)
    try:
        rows = get_json(server, "/api/classes?verdict=unargmaxable")
        assert set(HOSTILE.values()) <= {row["token"] for row in rows}
        dom = chromium(tmp_path, "--dump-dom", server.url + "/?model=hostile")
    finally:
        server.stop()
    tokens = page_tokens(dom)
    assert set(HOSTILE.values()) <= set(tokens)
    # Shown as text: no element was made from a token.
    assert "<img src=x" not in dom and "<script>alert" not in dom


def high_descriptor(descriptor):
    """A copy of the file descriptor numbered 10 or more; the original is closed."""
    copy = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(descriptor)
    return copy


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands on the
    child's fd 3, answers on its fd 4, each message JSON ending in a NUL byte), to click and type in the page."""

    def __init__(self, tmp_path):
        command_read, self.command_write = os.pipe()
        self.answer_read, answer_write = os.pipe()
        # The child's ends above fd 9, so that putting them on 3 and 4 cannot overwrite one with the other.
        command_read, answer_write = (high_descriptor(command_read), high_descriptor(answer_write))
        self.scratch = tempfile.mkdtemp(prefix="chromium-")
        arguments = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'devtools-profile'}",
                     "--remote-debugging-pipe", "about:blank"]
        # bash (dash takes single-digit fds only) puts the pipe's ends on fds 3 and 4, where Chromium expects them.
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{command_read} 4>&{answer_write}', *arguments],
            pass_fds=(command_read, answer_write), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, TMPDIR=self.scratch, HOME=str(tmp_path)))
        os.close(command_read)
        os.close(answer_write)
        self.answers, self.next_id = queue.Queue(), 0
        threading.Thread(target=self._read, daemon=True).start()
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        except BaseException:
            self.close()
            raise

    def _read(self):
        buffer = b""
        while chunk := os.read(self.answer_read, 65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self.answers.put(json.loads(message))

    def call(self, method, session=None, **parameters):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": parameters}
        if session:
            message["sessionId"] = session
        os.write(self.command_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = self.answers.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, f"chromium exited ({self.process.returncode}) during {method}"
                assert time.monotonic() < deadline, f"chromium did not answer {method} within 60 s"
                continue
            if answer.get("id") == self.next_id:
                assert "error" not in answer, answer
                return answer["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", session=self.session, expression=expression, returnByValue=True,
                           awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, expression, seconds=30):
        """Polls until the expression is truthy; returns its value."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never true in the page: {expression}")

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.command_write)
        os.close(self.answer_read)
        shutil.rmtree(self.scratch, ignore_errors=True)


def test_page_selecting_and_filtering_in_chromium(server, tmp_path):
    browser = DevTools(tmp_path)
    try:
        browser.call("Page.navigate", session=browser.session, url=server.url + "/")
        rows = "[...document.querySelectorAll('#experiments tbody tr')]"
        assert browser.wait_for(f"{rows}.length") == 2
        assert browser.evaluate("document.getElementById('tokens-section').hidden") is True
        # Selecting an experiment lists its model's unargmaxable tokens.
        browser.evaluate(f"{rows}.find((row) => row.textContent.includes('tiny-bert-mlm')).click()")
        tokens = "[...document.querySelectorAll('#tokens td.token')].map((cell) => cell.textContent)"
        assert sorted(browser.wait_for(f"{tokens}.length === 5 && {tokens}")) == sorted(FIVE_TOKENS)
        assert browser.evaluate("document.getElementById('selected').textContent") == "tiny-bert-mlm"
        # Typing in the filter keeps the matching experiments, puts the filter in the address, lists its tokens.
        browser.evaluate("const box = document.getElementById('model'); box.value = 'RANDOM-2000';"
                         "box.dispatchEvent(new Event('input'))")
        assert browser.wait_for(f"{rows}.length === 1 && {rows}[0].textContent.includes('random-2000x6')")
        assert browser.wait_for("location.search") == "?model=RANDOM-2000"
        unargmaxable = get_json(server, "/api/classes?model=random-2000&verdict=unargmaxable")
        count = "document.querySelectorAll('#tokens tbody tr').length"
        assert browser.wait_for(f"{count} === {len(unargmaxable)} && {count}") == len(unargmaxable)
        assert browser.evaluate("document.getElementById('error').hidden") is True
    finally:
        browser.close()
