"""Issue 23 item 3: no file outside ``ixhaus.documentRoot`` is ever read, symlinks included.

A document's location comes from iX-Haus (its document store's paths); a symlink inside the
share that points outside it used to be followed, and the outside file went to casavi.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.adapters.document_contents import DocumentStoreUnavailable, IxhausDocumentFiles
from app.domain.portal import PortalDocument


def _document(location: str) -> PortalDocument:
    return PortalDocument(
        id=1,
        name="Mietvertrag",
        document_type="Mietvertrag",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        content_location=location,
    )


async def _read(files: IxhausDocumentFiles, location: str) -> bytes:
    document = _document(location)
    await files.size(document)
    return b"".join([chunk async for chunk in files.chunks(document)])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The share: ``ixhaus://multimedia/<path>`` is ``<root>/multimedia/<path>``."""
    root = tmp_path / "share"
    media = root / "multimedia"
    (media / "1001").mkdir(parents=True)
    (media / "1001" / "vertrag.pdf").write_bytes(b"%PDF inside")
    (media / "etc").symlink_to("/etc")  # a directory link leaving the root
    (media / "1001" / "hosts.pdf").symlink_to("/etc/hosts")  # a file link leaving it
    (media / "1001" / "up.pdf").symlink_to("../../../secret.pdf")  # relative, leaving it
    (tmp_path / "secret.pdf").write_bytes(b"outside the root")
    (media / "1001" / "copy.pdf").symlink_to("vertrag.pdf")  # staying inside: fine
    (media / "loop").symlink_to("loop")
    return root


@pytest.mark.parametrize(
    "location",
    [
        "ixhaus://multimedia/etc/passwd",
        "multimedia/etc/hostname",
        "ixhaus://multimedia/1001/hosts.pdf",
        "ixhaus://multimedia/1001/up.pdf",
        "multimedia/1001/../../../secret.pdf",
        "/etc/passwd",
        "ixhaus:///etc/passwd",
        "multimedia\\1001\\..\\..\\..\\secret.pdf",
        "ixhaus://multimedia/loop",
        "ixhaus://multimedia/1001/vertrag.pdf\x00.txt",
    ],
)
async def test_a_location_outside_the_document_root_is_refused(root: Path, location: str) -> None:
    # issue 23 item 3: resolved with realpath, refused outside the root, symlinks included.
    files = IxhausDocumentFiles(root)
    with pytest.raises(DocumentStoreUnavailable):
        await _read(files, location)


async def test_files_and_links_inside_the_root_are_read(root: Path, tmp_path: Path) -> None:
    files = IxhausDocumentFiles(root)
    assert await _read(files, "ixhaus://multimedia/1001/vertrag.pdf") == b"%PDF inside"
    assert await _read(files, "ixhaus://multimedia/1001/copy.pdf") == b"%PDF inside"
    # The root itself may be a link (a mounted share): it is resolved once.
    linked_root = tmp_path / "linked-share"
    linked_root.symlink_to(root)
    linked = IxhausDocumentFiles(linked_root)
    assert await _read(linked, "multimedia/1001/vertrag.pdf") == b"%PDF inside"
