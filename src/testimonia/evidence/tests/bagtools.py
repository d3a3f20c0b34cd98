"""Helpers of the export and verify_bundle tests: run the tool, edit a bag like a forger."""

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
TOOL = REPO / "tools" / "verify_bundle.py"
SUITE = REPO.parent / "shared" / "data" / "bagit-conformance-suite"


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers


def verify_bundle(bag_path, *args):
    return subprocess.run(
        [sys.executable, str(TOOL), str(bag_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_fails_naming(bag_path, *phrases, check_id=None):
    result = verify_bundle(bag_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VERDICT: FAILED" in result.stdout.splitlines()[-1]
    for phrase in phrases:
        assert phrase in result.stdout, result.stdout
    if check_id is not None:
        report = json.loads(verify_bundle(bag_path, "--json").stdout)
        failed = {c["id"] for c in report["checks"] if not c["passed"]}
        assert check_id in failed, failed


def rehash_manifests(bag_path, prefix="tagmanifest"):
    """What a careful forger does after editing a file: recompute the (tag) manifests so the
    BagIt fixity check alone no longer sees the change."""
    for manifest in sorted(bag_path.glob(f"{prefix}-*.txt")):
        algorithm = manifest.name.split("-", 1)[1].removesuffix(".txt")
        lines = []
        for line in manifest.read_text().splitlines():
            _digest, path = line.split("  ", 1)
            lines.append(
                f"{hashlib.new(algorithm, (bag_path / path).read_bytes()).hexdigest()}  {path}"
            )
        manifest.write_text("\n".join(lines) + "\n")


def payload_file(bag_path, item):
    (found,) = (bag_path / "data" / "items" / str(item.pk)).iterdir()
    return found


def events_of(bag_path):
    lines = (bag_path / "testimonia/custody/events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def write_events(bag_path, events):
    text = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events)
    (bag_path / "testimonia/custody/events.jsonl").write_text(text)


def load_tool():
    spec = importlib.util.spec_from_file_location("verify_bundle", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_bundle"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
