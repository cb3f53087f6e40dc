"""The review store and server under stress (issue 22): two servers on one folder lose
nothing, a decision that could not be saved is never shown as saved, hostile requests are
answered without a traceback, and a burst of connections is served."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from glyphrender.cli.review import stop_summary
from glyphrender.generated.decisions import decisions_path, read_decisions
from glyphrender.review.server import open_review
from reviewfolder import make_review_folder
from smalldisk import fill


def serve(folder):
    srv = open_review(str(folder))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def made(tmp_path):
    return make_review_folder(tmp_path)


@pytest.fixture
def servers():
    started = []
    yield lambda folder: started.append(serve(folder)) or started[-1]
    for srv in started:
        srv.shutdown()
        srv.server_close()


def post(srv, changes: dict[int, str]):
    body = json.dumps({f"U+{cp:04X}": status for cp, status in changes.items()}).encode()
    request = urllib.request.Request(
        srv.url + "api/decisions", data=body, headers={"Content-Type": "application/json"}
    )
    return urllib.request.urlopen(request)


def statuses(srv) -> dict[int, str]:
    state = json.load(urllib.request.urlopen(srv.url + "api/state"))
    return {g["cp"]: g["status"] for g in state["glyphs"] if g["status"] != "undecided"}


def test_two_servers_on_one_folder_lose_no_decision(made, servers):
    first, second = servers(made.folder), servers(made.folder)  # both read the empty file
    a, b, c = made.codepoints[:3]
    post(first, {a: "accepted"})
    post(second, {b: "rejected"})
    post(first, {c: "rejected", a: "undecided"})
    expected = {b: "rejected", c: "rejected"}
    assert read_decisions(made.folder) == expected
    assert statuses(first) == statuses(second) == expected


def test_a_decision_the_disk_refuses_is_an_error_and_never_shown_as_saved(
    tmp_path, small_disk, servers
):
    made = make_review_folder(small_disk(size="4m"))
    srv = servers(made.folder)
    fill(made.folder, leave_bytes=0)
    with pytest.raises(urllib.error.HTTPError) as info:
        post(srv, {made.codepoints[0]: "rejected"})
    assert info.value.code == 500
    error = json.load(info.value)["error"]
    assert error.startswith(f"{decisions_path(made.folder)}: cannot write: no space left")
    assert statuses(srv) == {} and read_decisions(made.folder) is None
    assert stop_summary(srv.store).endswith(
        f"nothing saved ({decisions_path(made.folder)} not written)"
    )
    (made.folder / "filler-0").unlink()
    post(srv, {made.codepoints[0]: "rejected"})
    assert stop_summary(srv.store) == (
        f"0 accepted, 1 rejected, {len(made.codepoints) - 1} undecided, "
        f"saved in {decisions_path(made.folder)}"
    )


def test_a_decisions_file_damaged_while_serving_is_a_server_error_not_a_bad_request(made, servers):
    # The file is edited by hand (or broken) under a running page: the click was fine, the
    # file is what cannot be saved over, so the answer is 500 naming the file, not 400.
    srv = servers(made.folder)
    post(srv, {made.codepoints[0]: "accepted"})
    decisions_path(made.folder).write_text("{not json", encoding="utf-8")
    with pytest.raises(urllib.error.HTTPError) as info:
        post(srv, {made.codepoints[1]: "rejected"})
    assert info.value.code == 500
    assert json.load(info.value)["error"].startswith(f"{decisions_path(made.folder)}: ")
    assert decisions_path(made.folder).read_text(encoding="utf-8") == "{not json"
    assert statuses(srv) == {made.codepoints[0]: "accepted"}  # what was last saved


def test_review_of_a_read_only_folder_is_one_line_before_serving(small_disk):
    from click.testing import CliRunner
    from glyphrender.cli import main

    made = make_review_folder(small_disk(size="4m"))
    folder = made.folder
    remount = ["mount", "-o", "remount,ro", str(folder.parent.parent)]
    subprocess.run(remount, check=True, capture_output=True)
    result = CliRunner().invoke(main, ["review", str(folder), "--no-browser", "--port", "0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"glyphrender: error: {decisions_path(folder)}: cannot write: read-only file system; "
        "nothing written"
    ]


def raw(srv, request: bytes) -> bytes:
    with socket.create_connection(srv.server_address, timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("request_text", "status"),
    [
        (
            "POST /api/decisions HTTP/1.1\r\nContent-Type: application/json\r\n"
            "Content-Length: abc\r\n",
            400,
        ),
        ("GET /img/gen/" + "9" * 5000 + ".png HTTP/1.1\r\n", 404),
        (
            "POST /api/decisions HTTP/1.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 200000\r\n",
            400,
        ),
    ],
    ids=["content-length-abc", "5000-digit-image", "nested-json"],
)
def test_hostile_requests_get_an_answer_and_no_traceback(
    made, servers, capfd, request_text, status
):
    srv = servers(made.folder)
    host = f"Host: 127.0.0.1:{srv.server_address[1]}\r\nConnection: close\r\n"
    body = b"[" * 200000 if "200000" in request_text else b""
    answer = raw(srv, (request_text + host + "\r\n").encode() + body)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert "Traceback" not in capfd.readouterr().err
    assert read_decisions(made.folder) is None


def test_a_burst_of_connections_is_served(made, servers):
    srv = servers(made.folder)
    url = srv.url + f"img/gen/{made.codepoints[0]}.png"
    with ThreadPoolExecutor(64) as pool:
        codes = list(pool.map(lambda _: urllib.request.urlopen(url).status, range(256)))
    assert codes == [200] * 256


def test_the_listen_queue_holds_a_burst_while_every_thread_is_busy(made):
    """With the stdlib's backlog of 5, the sixth connection waiting to be accepted is
    dropped (the client waits a second and retries, or gets a reset); the page loads dozens
    of images at once. Nothing accepts here, so every connection waits in the queue."""
    srv = open_review(str(made.folder))
    try:
        sockets = [socket.create_connection(srv.server_address, timeout=0.5) for _ in range(64)]
        for sock in sockets:
            sock.close()
    finally:
        srv.server_close()
