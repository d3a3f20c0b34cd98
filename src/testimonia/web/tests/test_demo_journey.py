"""The acceptance journey of the foundation, as a newcomer does it: start `testimonia demo`,
log in with the printed login, create a workspace, upload a file and see it listed — in a real
Chromium against the real demo server (waitress + worker), not a test server."""

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from .chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

LOGIN_LINE = re.compile(r"log in as '(?P<user>[^']+)' with password '(?P<password>[^']+)'")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTIMONIA_", "DJANGO_"))}
    env["TESTIMONIA_HOME"] = str(tmp_path / "home")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "testimonia", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    login = None
    deadline = time.monotonic() + 120
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        login = login or LOGIN_LINE.search(line)
        if "is serving on" in line:
            break
    assert login, "".join(lines)
    try:
        yield f"http://127.0.0.1:{port}", login["user"], login["password"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_newcomer_logs_in_creates_a_workspace_uploads_and_sees_the_file(demo_server, tmp_path):
    require_chromium()
    base, username, password = demo_server
    sample = tmp_path / "testimony-notes.txt"
    sample.write_bytes(b"Notes from an interview, fictional.\n")
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(base + "/")
            expect(page).to_have_url(re.compile(r"/accounts/login/"))
            page.fill("input[name=login]", username)
            page.fill("input[name=password]", password)
            page.locator("form button[type=submit]").last.click()
            expect(page.get_by_text("Demo investigation (fictional)")).to_be_visible()

            page.get_by_role("link", name="Create a workspace").click()
            page.fill("input[name=name]", "My first investigation")
            page.fill("input[name=slug]", "first")
            page.get_by_role("button", name="Create").click()
            expect(page).to_have_url(base + "/w/first/")

            page.goto(base + "/w/first/evidence/")
            page.locator("input[name=uploads]").set_input_files(str(sample))
            page.get_by_role("button", name="Upload").click()
            row = page.locator("#items tbody tr", has_text="testimony-notes.txt")
            expect(row).to_have_count(1)
            expect(row.locator("code.hash")).to_have_text("sha256:" + digest)
        finally:
            browser.close()
