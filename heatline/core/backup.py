"""`heatline backup DIR` / `heatline restore FILE`: a consistent snapshot of the database and the photos.

One tar file: the database (PostgreSQL: `pg_dump --format=custom`, a consistent snapshot taken while the
system runs; SQLite: its online backup API), every uploaded file under MEDIA_ROOT as `media/…`, and
`manifest.json` with the row counts of the main tables and the SHA-256 and size of every member. A
`<file>.sha256` beside it (sha256sum format) covers the whole file. Restore checks both before it touches
anything and refuses a file whose checksums do not match, or a dump of the other database kind.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput

FORMAT = 1
CHUNK = 1024 * 1024
Say = Callable[[str], None]


def _counts() -> dict[str, int]:
    from heatline.core.models import AuditEvent
    from heatline.registry.models import Household, Staff
    from heatline.requests.models import Attachment, RequestEvent, ServiceRequest

    return {
        "households": Household.objects.count(),
        "staff": Staff.objects.count(),
        "requests": ServiceRequest.objects.count(),
        "request_events": RequestEvent.objects.count(),
        "attachments": Attachment.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore connection arguments for the configured database (password in the environment)."""
    db = connection.settings_dict
    arguments = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        arguments += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        arguments += ["--port", str(db["PORT"])]
    if db.get("USER"):
        arguments += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return arguments, env


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def backup_create(*, directory: Path, say: Say = lambda message: None) -> Path:
    """Write the archive into `directory`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = directory / f"heatline-backup-{stamp}.tar"
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise InvalidInput(_("不支持的数据库:%(vendor)s") % {"vendor": vendor})
    with tempfile.TemporaryDirectory(dir=directory) as work:
        database = Path(work) / ("database.dump" if vendor == "postgresql" else "database.sqlite3")
        say(_("数据库快照 …"))
        if vendor == "postgresql":
            arguments, env = _pg_env()
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(database), *arguments],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise InvalidInput(_("pg_dump 失败:%(error)s") % {"error": result.stderr.strip()[:300]})
        else:
            connection.ensure_connection()
            destination = sqlite3.connect(database)
            try:
                connection.connection.backup(destination)  # the online backup API: consistent while in use
            finally:
                destination.close()
        media_root = Path(settings.MEDIA_ROOT)
        files = _media_files()
        members: dict[str, dict[str, Any]] = {
            database.name: {"sha256": _sha256(database), "size": database.stat().st_size}
        }
        for path in files:
            members["media/" + path.relative_to(media_root).as_posix()] = {
                "sha256": _sha256(path),
                "size": path.stat().st_size,
            }
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "database_member": database.name,
            "counts": _counts(),
            "members": members,
        }
        say(_("照片与附件 %(n)d 个 …") % {"n": len(files)})
        partial = target.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as archive:
            encoded = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(encoded)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(encoded))
            archive.add(database, arcname=database.name)
            for path in files:
                archive.add(path, arcname="media/" + path.relative_to(media_root).as_posix())
        partial.rename(target)
    (target.parent / f"{target.name}.sha256").write_text(f"{_sha256(target)}  {target.name}\n")
    return target


def backup_verify(path: Path) -> dict[str, Any]:
    """The archive's manifest, once the whole file and every member match their checksums."""
    if not path.is_file():
        raise InvalidInput(_("备份文件不存在:%(path)s") % {"path": path})
    sidecar = path.parent / f"{path.name}.sha256"
    if sidecar.is_file():
        expected = sidecar.read_text().split()[0] if sidecar.read_text().split() else ""
        if expected != _sha256(path):
            raise InvalidInput(_("备份文件校验和不符(%(file)s):文件已损坏或被修改") % {"file": sidecar.name})
    try:
        with tarfile.open(path, "r") as archive:
            manifest_file = archive.extractfile("manifest.json")
            if manifest_file is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(manifest_file.read())
            names = {member.name for member in archive.getmembers() if member.isfile()} - {"manifest.json"}
            listed = set(manifest.get("members", {}))
            if names != listed:
                raise InvalidInput(
                    _("备份内容与清单不一致:%(names)s") % {"names": "、".join(sorted(names ^ listed))[:200]}
                )
            for name, expected_member in manifest["members"].items():
                member = archive.extractfile(name)
                assert member is not None
                digest = hashlib.sha256()
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != expected_member["sha256"]:
                    raise InvalidInput(_("备份中的文件校验和不符:%(name)s") % {"name": name})
    except (tarfile.TarError, KeyError, json.JSONDecodeError, OSError) as error:
        raise InvalidInput(_("无法读取备份文件:%(error)s") % {"error": error}) from error
    if manifest.get("format") != FORMAT:
        raise InvalidInput(_("不支持的备份格式"))
    return manifest


def backup_restore(*, path: Path, say: Say = lambda message: None) -> tuple[dict[str, int], dict[str, int]]:
    """Replace the database and put the photos back from a verified archive: (counts in the backup, now)."""
    manifest = backup_verify(path)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise InvalidInput(
            _("备份来自 %(theirs)s 数据库,当前为 %(ours)s,不能恢复")
            % {"theirs": manifest["vendor"], "ours": vendor}
        )
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r") as archive:
        archive.extractall(work, filter="data")
        database = Path(work) / manifest["database_member"]
        say(_("恢复数据库 …"))
        if vendor == "postgresql":
            arguments, env = _pg_env()
            connection.close()
            result = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *arguments,
                 str(database)],
                env=env,
                capture_output=True,
                text=True,
            )  # fmt: skip
            if result.returncode != 0:
                raise InvalidInput(_("pg_restore 失败:%(error)s") % {"error": result.stderr.strip()[:300]})
        else:
            connection.ensure_connection()
            source = sqlite3.connect(database)
            try:
                source.backup(connection.connection)  # page by page into the open database, as one step
            finally:
                source.close()
        files = [name for name in manifest["members"] if name.startswith("media/")]
        say(_("恢复照片与附件 %(n)d 个 …") % {"n": len(files)})
        for name in files:
            destination = media_root / name.removeprefix("media/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(work) / name, destination)
    from heatline.core.caches import ProcessCache

    ProcessCache.forget_all()
    return manifest["counts"], _counts()
