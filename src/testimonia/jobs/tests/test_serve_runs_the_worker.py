"""`testimonia serve` runs the web server and the task worker: a real process, real HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTIMONIA_", "DJANGO_"))}
    env["TESTIMONIA_HOME"] = str(home)
    return env, [sys.executable, "-m", "testimonia", *args]


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def get_json(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_serve_answers_http_and_its_worker_completes_queued_jobs(tmp_path):
    home = tmp_path / "home"
    env, argv = cli(home, "demo", "--no-serve")
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=120)
    env, argv = cli(home, "token", "create", "--user", "demo")
    token = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout.strip()

    port = free_port()
    env, argv = cli(home, "serve", "--port", str(port))
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy():
            try:
                return get_json(f"{base}/api/v1/health") == {"status": "ok"}
            except OSError:
                return False

        wait_until(healthy)

        # The demo queued one digest job per file; the worker inside `serve` runs them.
        def all_done():
            jobs = get_json(f"{base}/api/v1/workspaces/demo/jobs", token)
            return jobs and all(j["status"] == "succeeded" for j in jobs) and jobs

        jobs = wait_until(all_done)
        digests = [j for j in jobs if j["label"] == "Compute SHA-512 of stored originals"]
        assert len(digests) == 4  # one per demo file
        assert all(j["percent"] == 100 for j in digests)
        items = get_json(f"{base}/api/v1/workspaces/demo/items", token)
        assert all(i["sha512"].startswith("sha512:") for i in items)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert "Traceback" not in output, output


@pytest.mark.django_db(transaction=True)
def test_tasks_left_running_by_a_killed_worker_are_requeued(settings, workspace):
    from django_tasks_db.models import DBTaskResult

    from testimonia.evidence.tasks import run_complete_digests
    from testimonia.jobs.models import Job
    from testimonia.jobs.services import enqueue_job, requeue_interrupted_tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = enqueue_job(
        run_complete_digests, label="x", workspace=workspace, requested_by=None, args=[[]]
    )
    # Simulate a worker killed mid-task: the row says RUNNING and nobody will finish it.
    DBTaskResult.objects.update(status="RUNNING")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    assert requeue_interrupted_tasks() == 1
    assert DBTaskResult.objects.get().status == "READY"
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
