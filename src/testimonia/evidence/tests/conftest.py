"""Fixtures of the export tests: items in a workspace and a bag exported from them."""

import pytest

from testimonia.custody.services import sign_checkpoint
from testimonia.evidence.export import export_bag
from testimonia.evidence.services import Acquisition, add_item


@pytest.fixture
def items(workspace, investigator):
    photo = add_item(investigator, workspace, [b"\xff\xd8 photo " * 500], filename="photo.jpg")
    copy = add_item(investigator, workspace, [b"\xff\xd8 photo " * 500], filename="copy.jpg")
    hostile = add_item(
        investigator,
        workspace,
        ["تقرير المستشفى".encode()],
        filename="x",
        acquisition=Acquisition(filename="../../etc/passwd%0A\\con", path="a/../../b"),
    )
    arabic = add_item(
        investigator,
        workspace,
        [b"%PDF-1.4 report"],
        filename="تقرير المستشفى.pdf",
        acquisition=Acquisition(filename="تقرير المستشفى.pdf", source="=HYPERLINK(1)"),
    )
    sign_checkpoint(workspace)  # an earlier checkpoint: the bag must prove the log grew from it
    return [photo.item, copy.item, hostile.item, arabic.item]


@pytest.fixture
def bag(items, workspace, investigator, tmp_path):
    return export_bag(investigator, workspace, [i.pk for i in items], tmp_path / "bag")
