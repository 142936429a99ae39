"""Follow the tutorial (``docs/tutorial.rst``) literally, as a reader would, in a new project.

In a temporary directory, with this virtual environment's ``bin`` first on
``PATH`` and none of the test suite's settings in the environment, the page is
read from top to bottom:

- every ``$ command`` of its console blocks runs in a subprocess, in order;
  ``cd`` and ``export`` change the directory and the environment of the commands
  that follow, as in a shell; the commands before the section "Create your
  project" are the provider's; the lines shown under a command must appear, in
  order, in what it printed;
- every file block is written where its caption says, relative to the directory
  the commands run in (``books/models.py``, ``books/templates/books/...``);
- the ``mysite/settings.py`` block is applied to the settings ``startproject``
  wrote, as the page says: its imports at the top, its ``INSTALLED_APPS`` in place
  of the generated one (which it must extend, not replace), its new settings at
  the end; ``mysite/urls.py`` must keep the generated ``urlpatterns`` too;
- ``python -m asyncio``: the ``>>>`` lines shown after it, then the Python blocks
  that follow, are typed into it (its stdin); a traceback fails the test;
- ``uvicorn``: the project is served in the background while every page the
  tutorial links to is fetched over HTTP and checked against what the tutorial
  says it shows (the form is submitted with its CSRF token: create, a refused
  edit, delete); then the server is stopped;
- ``curl``: its JSON answer must be the JSON block shown after it.

What the reader does that this test cannot or need not do is stood in for, each
command listed in ``STAND_INS`` with the reason: the provider's own commands (the
session's ``provider`` fixture serves it, migrated and seeded), making a virtual
environment and ``pip install`` (this one has the package, from this checkout, and
uvicorn). The tutorial's provider address, token and port 8001 are replaced by the
fixture's and a free port. There are no test settings and no in-memory template
loaders: the project is what ``django-admin startproject`` made plus the page's
changes, run by its own ``manage.py``.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import html
import json
import os
import pty
import re
import select
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

import django_api_orm
from tests.conftest import Provider
from tests.docs.rst import Block, read_blocks
from tests.docs.runner import TUTORIAL
from tests.servers import REPO_ROOT, free_port

#: What the tutorial tells the reader to use, replaced by the test's provider and port.
TUTORIAL_PROVIDER_URL = "http://127.0.0.1:8000/api/"
TUTORIAL_TOKEN = "demo-token-0123456789abcdef0123456789abc"
TUTORIAL_PORT = "8001"
HOST = "127.0.0.1"
#: Seconds one command (or the REPL session) may take.
COMMAND_TIMEOUT = 60.0
#: Seconds the server may take to accept connections, and to stop.
SERVER_START_TIMEOUT = 30.0
SERVER_STOP_TIMEOUT = 10.0
#: Variables of the test run that a reader's shell does not have.
TEST_ONLY_ENV = ("DJANGO_SETTINGS_MODULE", "PROVIDER_URL", "PROVIDER_TOKEN", "PROVIDER_DB")

PROVIDER_SETUP = "the session's provider fixture serves the example provider, migrated and seeded"
READER_VENV = "this test runs in the checkout's venv, which has the package and uvicorn"
#: The section where the reader's project begins: commands before it are the provider's.
PROJECT_SECTION = "Create your project"
#: Commands not run, by phase ("provider": before ``PROJECT_SECTION``; "project": after).
STAND_INS = {
    ("provider", "python -m venv .venv && . .venv/bin/activate"): PROVIDER_SETUP,
    ("provider", "pip install -e '.[dev]'"): PROVIDER_SETUP,
    ("provider", "python manage.py migrate"): PROVIDER_SETUP,
    ("provider", "python manage.py seed"): PROVIDER_SETUP,
    ("provider", "python manage.py runserver 127.0.0.1:8000"): PROVIDER_SETUP,
    ("project", "python -m venv .venv && . .venv/bin/activate"): READER_VENV,
    ("project", "pip install /path/to/django_api_orm uvicorn"): READER_VENV,
}
#: What the tutorial's REPL blocks print, as the page says.
REPL_PRINTS = ("240 30", "no such book", "Cannot resolve keyword 'pricee' into field.")


@dataclass
class Command:
    """One ``$`` line of a console block, the ``>>>`` lines typed after it, the output shown."""

    line: str
    typed: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)


def parse_console(code: str) -> list[Command]:
    """Return the commands of a console block (a trailing ``\\`` continues a command)."""
    commands: list[Command] = []
    lines = iter(code.splitlines())
    for line in lines:
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):
                text = text[:-1].rstrip() + " " + next(lines).strip()
            commands.append(Command(text))
        elif line.startswith(">>> "):
            commands[-1].typed.append(line[4:])
        elif line.strip():
            commands[-1].shown.append(line.strip())
    return commands


def _assigned(tree: ast.Module) -> dict[str, ast.Assign]:
    return {
        node.targets[0].id: node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    }


def assert_extends(generated: str, changed: str, where: str) -> None:
    """Assert each list ``generated`` assigns and ``changed`` reassigns keeps its items first."""
    new = _assigned(ast.parse(changed))
    for name, node in _assigned(ast.parse(generated)).items():
        if name in new and isinstance(node.value, ast.List):
            after = new[name].value
            assert isinstance(after, ast.List), f"{where}: {name} is no longer a list"
            before_items = [ast.dump(item) for item in node.value.elts]
            after_items = [ast.dump(item) for item in after.elts]
            assert after_items[: len(before_items)] == before_items, (
                f"{where}: {name} drops or reorders what startproject wrote"
            )


def merge_settings(generated: str, addition: str) -> str:
    """Apply a settings block to a settings module: imports at the top, names in place or last."""
    assert_extends(generated, addition, "settings.py")
    tree = ast.parse(generated)
    lines = generated.splitlines(keepends=True)
    existing = _assigned(tree)
    imports: list[str] = []
    appended: list[str] = []
    replaced: list[tuple[int, int, str]] = []
    for node in ast.parse(addition).body:
        source = ast.get_source_segment(addition, node)
        assert source is not None
        if isinstance(node, ast.Import | ast.ImportFrom):
            if source not in generated:
                imports.append(source)
        elif isinstance(node, ast.Assign) and (
            old := existing.get(getattr(node.targets[0], "id", ""))
        ):
            assert old.end_lineno is not None
            replaced.append((old.lineno - 1, old.end_lineno, source))
        else:
            appended.append(source)
    for start, end, source in sorted(replaced, reverse=True):
        lines[start:end] = [source + "\n"]
    last_import = max(
        (n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)),
        default=0,
    )
    lines[last_import:last_import] = [source + "\n" for source in imports]
    return "".join(lines) + "".join("\n" + source + "\n" for source in appended)


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


@contextlib.contextmanager
def serve(argv: list[str], *, cwd: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """Run a server command until it accepts connections on ``port``; stop it on exit."""
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while process.poll() is None and not _accepts(port):
                assert time.monotonic() < deadline, f"{argv} did not start in time"
                time.sleep(0.05)
            if process.poll() is not None:
                output.seek(0)
                pytest.fail(f"{shlex.join(argv)} exited: {output.read().decode()[-4000:]}")
            yield f"http://{HOST}:{port}"
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=SERVER_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=SERVER_STOP_TIMEOUT)


class Reader:
    """Follows the page: runs its commands, writes its files, types into its REPL."""

    def __init__(self, provider: Provider, workdir: Path, check_pages: Callable[[str], None]):
        self.provider = provider
        self.cwd = workdir
        self.check_pages = check_pages
        venv_bin = str(Path(sys.executable).parent)
        self.env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
        self.env["PATH"] = os.pathsep.join([venv_bin, self.env.get("PATH", "")])
        self.phase = "provider"
        self.generated: dict[str, str] = {}  # startproject's files, before the page changed them
        self.repl: tuple[list[str], dict[str, str], list[str]] | None = None
        self.curl_output: str | None = None
        self.stood_in: set[tuple[str, str]] = set()
        self.log: list[str] = []

    def substitute(self, text: str) -> str:
        """Replace the tutorial's provider address and token by the test provider's."""
        return text.replace(TUTORIAL_PROVIDER_URL, self.provider.base_url).replace(
            TUTORIAL_TOKEN, self.provider.token
        )

    def follow(self, block: Block) -> None:
        """Do what one block of the page says."""
        lines = TUTORIAL.read_text(encoding="utf-8").splitlines()
        if block.line > lines.index(PROJECT_SECTION) + 1:
            self.phase = "project"
        if block.kind != "run":
            self.finish_repl()
        if block.language == "console":
            for command in parse_console(block.code):
                self.command(command)
        elif block.kind == "run":
            assert self.repl is not None, f"{block}: Python with no REPL started to type it in"
            self.repl[2].append(block.code)
        elif block.kind == "settings":
            assert block.caption == "mysite/settings.py", block
            path = self.cwd / block.caption
            path.write_text(merge_settings(path.read_text(), block.code))
            self.log.append(f"applied {block.caption}")
        elif block.kind in {"file", "template"}:
            assert block.caption is not None
            path = self.cwd / block.caption
            if block.caption in self.generated:
                assert_extends(self.generated[block.caption], block.code, block.caption)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code)
            self.log.append(f"wrote {block.caption}")
        elif block.language == "json" and self.curl_output is not None:
            answer = json.loads(self.curl_output)
            assert answer == json.loads(self.substitute(block.code)), f"{block}: {answer}"
            self.curl_output = None
            self.log.append("checked the curl answer")

    def command(self, command: Command) -> None:
        """Run one shell command of the page, or stand in for it."""
        key = (self.phase, command.line)
        if key in STAND_INS:
            self.stood_in.add(key)
            self.log.append(f"stood in for: {command.line}")
            return
        argv = shlex.split(self.substitute(command.line))
        env = dict(self.env)
        while argv and re.match(r"^\w+=", argv[0]):
            name, _, value = argv.pop(0).partition("=")
            env[name] = value
        self.log.append(f"$ {command.line}")
        if argv[0] == "cd":
            self.cwd = (self.cwd / argv[1]).resolve()
            assert self.cwd.is_dir(), command.line
        elif argv[0] == "export":
            name, _, value = argv[1].partition("=")
            self.env[name] = value
        elif argv[:3] == ["python", "-m", "asyncio"]:
            self.repl = (argv, env, [*command.typed])
        elif argv[0] == "uvicorn":
            port = free_port()
            argv = [str(port) if arg == TUTORIAL_PORT else arg for arg in argv]
            with serve(argv, cwd=self.cwd, env=env, port=port) as url:
                self.check_pages(url)
        else:
            assert self.phase == "project" or argv[0] == "curl", (
                f"{command.line}: a provider command the test neither runs nor stands in for"
            )
            output = self.run(argv, env)
            printed = iter(line.strip() for line in output.splitlines())
            missing = [line for line in command.shown if line not in printed]  # in order
            assert missing == [], f"{command.line} did not print {missing}:\n{output}"
            if argv[0] == "curl":
                self.curl_output = output
            if argv[:2] == ["django-admin", "startproject"]:
                project = self.cwd / argv[2]
                for name in ("mysite/settings.py", "mysite/urls.py"):
                    self.generated[name] = (project / name).read_text()

    def run(self, argv: list[str], env: dict[str, str]) -> str:
        """Run a command to its end; fail with its output unless it succeeds.

        Return what it printed (``curl``: its answer only, without its progress on stderr).
        """
        result = subprocess.run(
            argv,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{shlex.join(argv)} exited {result.returncode}:\n{output}"
        if argv[0] == "curl":
            return result.stdout
        return output

    def finish_repl(self) -> None:
        """Type the REPL's lines and blocks into it, as the reader does; check what it printed."""
        if self.repl is None:
            return
        argv, env, typed = self.repl
        self.repl = None
        if sys.version_info >= (3, 13):
            printed = paste_into_terminal_repl(argv, env, self.cwd, typed)
        else:
            printed = pipe_into_repl(argv, env, self.cwd, typed)
        assert "Traceback" not in printed, printed
        for expected in REPL_PRINTS:
            assert expected in printed, f"the REPL did not print {expected!r}:\n{printed}"
        self.log.append(f"typed {len(typed)} blocks into the asyncio REPL")


def pipe_into_repl(argv: list[str], env: dict[str, str], cwd: Path, typed: list[str]) -> str:
    """Type ``typed`` into the REPL through a pipe; return what it printed."""
    # A blank line ends each block's last statement, as when typing it at the prompt.
    session = "".join(f"{text.rstrip()}\n\n" for text in typed)
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        input=session,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


#: Bracketed paste (xterm): what a terminal sends around text pasted into it.
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
_TERMINAL_CONTROL = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


def paste_into_terminal_repl(
    argv: list[str], env: dict[str, str], cwd: Path, typed: list[str]
) -> str:
    """Paste ``typed`` into the REPL in a terminal, one block at a time; return what it printed.

    Python 3.13's asyncio REPL runs piped input one line at a time, so an indented
    line fails (python/cpython#140013). In a terminal, its new REPL takes a pasted
    block whole, as a reader pastes it: so the test gives it a pseudo-terminal and
    pastes, waiting after each block for a marker the block's end prints.
    """
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
    terminal_env = {**env, "TERM": "xterm-256color", "NO_COLOR": "1"}
    terminal_env.pop("PYTHON_BASIC_REPL", None)
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=terminal_env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    output = bytearray()
    deadline = time.monotonic() + COMMAND_TIMEOUT

    def read_until(marker: bytes) -> None:
        while marker not in output:
            shown = output.decode(errors="replace")
            left = deadline - time.monotonic()
            assert left > 0, f"the REPL did not print {marker!r}:\n{shown}"
            ready, _, _ = select.select([leader], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the REPL closed the terminal
                    chunk = b""
                assert chunk, f"the REPL ended before {marker!r}:\n{shown}"
                output.extend(chunk)

    try:
        read_until(b">>> ")
        for number, text in enumerate(typed):
            # The marker's echo is '"<" + "<done N>>"', its output "<<done N>>".
            marker = f"<<done {number}>>"
            block = f'{text.rstrip()}\n\nprint("<" + "{marker[1:]}")\n'
            os.write(leader, PASTE_START + block.encode() + PASTE_END + b"\r\r")
            read_until(marker.encode())
        os.write(leader, b"exit()\r")
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        os.close(leader)
    return _TERMINAL_CONTROL.sub(b"", bytes(output)).decode(errors="replace")


def tutorial_links() -> list[str]:
    """Return the paths of the project's pages the tutorial links to, in order."""
    text = TUTORIAL.read_text(encoding="utf-8")
    return re.findall(rf"http://127\.0\.0\.1:{TUTORIAL_PORT}(/[^\s,;)]*)", text)


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return match[1]


class Pages:
    """What the tutorial says its pages show, checked over HTTP."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.checked: list[str] = []

    def __call__(self, url: str) -> None:
        with (
            httpx.Client(base_url=url, timeout=10.0) as site,
            httpx.Client(
                base_url=self.provider.base_url, headers=self.provider.headers, timeout=10.0
            ) as api,
        ):
            for path in tutorial_links():
                getattr(self, "check_" + re.sub(r"\W+", "_", path).strip("_"))(site, api, path)
                self.checked.append(path)

    @staticmethod
    def titles(api: httpx.Client, **params: Any) -> list[str]:
        answer = api.get("books/", params={"ordering": "title", "page_size": 20, **params})
        return [book["title"] for book in answer.raise_for_status().json()["results"]]

    @staticmethod
    def list_page(site: httpx.Client, path: str) -> tuple[str, list[str]]:
        response = site.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:2000])
        items = re.findall(r'<li><a href="/books/\d+/">(.*?)</a>', response.text)
        return response.text, [html.unescape(title) for title in items]

    def check_books(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        text, titles = self.list_page(site, path)
        assert "<p>240 books</p>" in text
        assert titles == self.titles(api)
        assert len(re.findall(r"</a>\s+by \w[^,<]*, \d+\.\d\d</li>", text)) == 20  # authors
        assert ">Next<" in text and ">Previous<" not in text

    def check_books_q_mirror(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        text, titles = self.list_page(site, path)
        assert "<p>19 books</p>" in text
        assert titles == self.titles(api, title__icontains="mirror")
        assert all("mirror" in title.lower() for title in titles)

    def check_books_page_2(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        text, titles = self.list_page(site, path)
        assert titles == self.titles(api, page=2)
        assert 'page=1">Previous<' in text and 'page=3">Next<' in text

    def check_books_page_abc(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        text, _ = self.list_page(site, path)
        assert text == self.list_page(site, "/books/")[0]

    def check_books_page_99(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        text, titles = self.list_page(site, path)
        assert titles == self.titles(api, page=12)
        assert 'page=11">Previous<' in text and ">Next<" not in text

    def check_books_1(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        book = api.get("books/1/").raise_for_status().json()
        author = api.get(f"authors/{book['author']}/").raise_for_status().json()
        response = site.get(path)
        assert response.status_code == 200
        assert f"<h1>{html.escape(book['title'])}</h1>" in response.text
        assert f"By {html.escape(author['name'])}. {book['price']}" in response.text
        assert '<a href="/books/1/edit/">Edit</a>' in response.text
        assert '<a href="/books/1/delete/">Delete</a>' in response.text

    def check_books_new(self, site: httpx.Client, api: httpx.Client, path: str) -> None:
        title = "A Book Saved Through The Tutorial's Form"
        form = site.get(path)
        assert form.status_code == 200 and "<h1>New book</h1>" in form.text
        fields = {"title": title, "author": "1", "price": "12.50", "in_print": "on"}
        created = site.post(path, data={**fields, "csrfmiddlewaretoken": _csrf(form)})
        assert created.status_code == 302, created.text[:2000]
        [book] = api.get("books/", params={"title": title}).raise_for_status().json()["results"]
        assert created.headers["location"] == f"/books/{book['id']}/"
        shown = site.get(created.headers["location"])
        assert f"<h1>{html.escape(title)}</h1>" in shown.text

        edit = site.get(f"/books/{book['id']}/edit/")
        refused = site.post(
            f"/books/{book['id']}/edit/",
            data={**fields, "published": "2999-01-01", "csrfmiddlewaretoken": _csrf(edit)},
        )
        assert refused.status_code == 200
        assert "Publication date cannot be in the future." in refused.text

        delete = site.get(f"/books/{book['id']}/delete/")
        deleted = site.post(
            f"/books/{book['id']}/delete/", data={"csrfmiddlewaretoken": _csrf(delete)}
        )
        assert (deleted.status_code, deleted.headers["location"]) == (302, "/books/")
        assert api.get(f"books/{book['id']}/").status_code == 404


TABLES = ("provider_author", "provider_book", "provider_genre")


def test_the_tutorial_works_as_written(
    provider: Provider,
    provider_db: Callable[..., list[tuple[Any, ...]]],
    tmp_path: Path,
) -> None:
    """Makes the project with django-admin and follows every step; the pages and tests work."""
    assert Path(django_api_orm.__file__).is_relative_to(REPO_ROOT)  # the venv has this checkout
    before = {table: provider_db(f"SELECT * FROM {table} ORDER BY id") for table in TABLES}
    pages = Pages(provider)
    reader = Reader(provider, tmp_path, pages)
    for block in read_blocks(TUTORIAL):
        try:
            reader.follow(block)
        except Exception as error:
            error.add_note(
                f"following the block at {block}; done so far:\n" + "\n".join(reader.log)
            )
            raise
    reader.finish_repl()

    assert reader.stood_in == set(STAND_INS), "a stand-in no longer matches a command of the page"
    commands = [line for line in reader.log if line.startswith("$ ")]
    for expected in (
        "$ django-admin startproject mysite",
        "$ python manage.py startapp books",
        "$ python manage.py check",
        "$ DJANGO_SETTINGS_MODULE=mysite.settings python -m asyncio",
        "$ uvicorn mysite.asgi:application --port 8001",
        "$ python manage.py test books",
    ):
        assert expected in commands
    assert pages.checked == tutorial_links() and len(pages.checked) >= 6
    after = {table: provider_db(f"SELECT * FROM {table} ORDER BY id") for table in TABLES}
    assert after == before
