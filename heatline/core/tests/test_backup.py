"""`heatline backup` / `heatline restore` (issue 18): the same counts and the same photos after a restore;
a damaged archive, a changed member or a dump of the other database kind is refused before anything changes."""

import hashlib
import io
import json
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from heatline.core.backup import backup_create, backup_restore, backup_verify
from heatline.core.errors import InvalidInput
from heatline.registry.models import Household
from heatline.registry.tests.factories import HouseholdFactory, org
from heatline.requests.models import ServiceRequest
from heatline.requests.tests.factories import registered_request


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_drop_restore_gives_the_same_counts_and_photos(tmp_path: Path) -> None:
    media = tmp_path / "media"
    photo = media / "requests" / "2026" / "12" / "boiler.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8" + bytes(range(256)) * 40)
    with override_settings(MEDIA_ROOT=str(media)):
        utility = org()
        for _ in range(5):
            HouseholdFactory(building=utility.building)
        registered_request(utility)
        counts = (Household.objects.count(), ServiceRequest.objects.count())
        out = StringIO()
        call_command("backup", str(tmp_path / "backups"), stdout=out, stderr=StringIO())
        archive = next((tmp_path / "backups").glob("*.tar"))
        assert archive.name in out.getvalue()
        manifest = backup_verify(archive)
        assert manifest["vendor"] == connection.vendor and manifest["counts"]["households"] == counts[0]
        assert "media/requests/2026/12/boiler.jpg" in manifest["members"]
        # the disaster: requests and households gone, the photo deleted
        Household.objects.filter(requests__isnull=True).delete()
        original = photo.read_bytes()
        photo.unlink()
        with pytest.raises(CommandError, match="--yes"):
            call_command("restore", str(archive), stdout=StringIO(), stderr=StringIO())
        assert Household.objects.count() < counts[0]
        call_command("restore", str(archive), "--yes", stdout=out, stderr=StringIO())
        assert (Household.objects.count(), ServiceRequest.objects.count()) == counts
        assert photo.read_bytes() == original
        assert "恢复完成" in out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_damaged_archive_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    with override_settings(MEDIA_ROOT=str(tmp_path / "media")):
        utility = org()
        archive = backup_create(directory=tmp_path)
        HouseholdFactory(building=utility.building)
        now = Household.objects.count()
        # one byte flipped: the .sha256 beside it no longer matches
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        broken = tmp_path / "broken.tar"
        broken.write_bytes(data)
        (tmp_path / "broken.tar.sha256").write_text((tmp_path / f"{archive.name}.sha256").read_text())
        with pytest.raises(InvalidInput, match="校验和不符"):
            backup_restore(path=broken)
        # a member replaced, its manifest left as it was (and no sidecar to help)
        forged = tmp_path / "forged.tar"
        with tarfile.open(archive) as source, tarfile.open(forged, "w") as target:
            for member in source.getmembers():
                content = source.extractfile(member).read()  # type: ignore[union-attr]
                if member.name != "manifest.json":
                    content = content[:-10] + b"0123456789"
                member.size = len(content)
                target.addfile(member, io.BytesIO(content))
        with pytest.raises(InvalidInput, match="校验和不符"):
            backup_restore(path=forged)
        # a dump of the other kind of database
        other = tmp_path / "other.tar"
        with tarfile.open(archive) as source, tarfile.open(other, "w") as target:
            for member in source.getmembers():
                content = source.extractfile(member).read()  # type: ignore[union-attr]
                if member.name == "manifest.json":
                    manifest = json.loads(content)
                    manifest["vendor"] = "postgresql" if connection.vendor == "sqlite" else "sqlite"
                    content = json.dumps(manifest).encode()
                member.size = len(content)
                target.addfile(member, io.BytesIO(content))
        with pytest.raises(InvalidInput, match="不能恢复"):
            backup_restore(path=other)
        assert Household.objects.count() == now
        with pytest.raises(CommandError, match="不存在"):
            call_command("restore", str(tmp_path / "nothing.tar"), "--yes", stdout=StringIO())
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        assert (tmp_path / f"{archive.name}.sha256").read_text().split()[0] == digest
