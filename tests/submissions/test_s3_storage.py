"""Files in S3-compatible object storage (FILE_STORAGE=s3), as several web and worker nodes share
them: against a local S3 server started by the test (moto's server mode), an upload goes to the
bucket, the packet is built from the bucket and written to it, and both come back only through
the access layer's downloads."""

import socket
import subprocess
import sys

import boto3
import pytest
from django.conf import settings as django_settings
from moto.server import ThreadedMotoServer

from submissions.constants import DocumentStatus
from submissions.documents import packet as packets
from submissions.filing import services
from submissions.models import Attachment
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    actor,
    make_call,
    media,
    pdf_bytes,
    ready,
)

pytestmark = pytest.mark.django_db
BUCKET = "portal-files"
KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_server, media):
    """The default storage switched to the bucket of the local S3 server (a fresh bucket per test)."""
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id=KEYS["access_key"], aws_secret_access_key=KEYS["secret_key"])
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": s3_server, "region_name": "us-east-1",
                    "default_acl": None, "file_overwrite": False, "addressing_style": "path", **KEYS},
    }}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_upload_packet_and_downloads_go_through_the_bucket_and_the_access_layer(
        world, s3, media, client_for, eager_tasks, django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to(DEADLINE, tick=False)
    call = make_call(world.jx)
    app = ready(world.applicant_admin, call)  # its application material is stored already
    scan = pdf_bytes(3)
    material = call.materials.get(code="evidence")
    response = client_for(world.applicant_admin).post(
        f"/my/applications/{app.pk}/materials/{material.pk}/upload/", {"file": _upload(scan, "证明材料.pdf")},
        HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert attachment.file.storage.__class__.__name__ == "S3Storage"
    assert attachment.file.name in keys(s3)
    assert s3.get_object(Bucket=BUCKET, Key=attachment.file.name)["Body"].read() == scan
    assert not [p for p in media.rglob("*") if p.is_file()], "nothing is written to the local disk"

    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    with django_capture_on_commit_callbacks(execute=True):
        job = packets.packet_request(actor=actor(world.applicant_admin), application=app)
    job.refresh_from_db()
    assert job.status == DocumentStatus.DONE, job.error
    assert job.file.name in keys(s3) and job.pages >= 3 + 1

    packet = client_for(world.applicant_admin).get(f"/documents/{job.pk}/download/")
    assert packet.status_code == 200 and packet["Content-Type"] == "application/pdf"
    body = b"".join(packet.streaming_content)
    assert body.startswith(b"%PDF-") and body == s3.get_object(Bucket=BUCKET, Key=job.file.name)["Body"].read()

    file_url = f"/applications/{app.pk}/files/{attachment.pk}/"
    download = client_for(world.county_reviewer).get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == scan
    for user in (world.other_applicant, world.neighbour_reviewer, world.lanzhou_reviewer):
        client = client_for(user)
        assert client.get(file_url).status_code == 404, user
        assert client.get(f"/documents/{job.pk}/download/").status_code == 404, user
        client.logout()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_file_storage_s3_is_chosen_by_a_setting():
    code = ("import django; django.setup(); from django.conf import settings; "
            "o = settings.STORAGES['default']; print(o['BACKEND'], o['OPTIONS']['bucket_name'], "
            "o['OPTIONS']['endpoint_url'], o['OPTIONS']['default_acl'])")
    env = {"FILE_STORAGE": "s3", "S3_BUCKET": "shared-files", "S3_ENDPOINT_URL": "http://minio:9000",
           "DJANGO_SETTINGS_MODULE": "portal.project.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=str(django_settings.BASE_DIR), env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["storages.backends.s3.S3Storage", "shared-files", "http://minio:9000", "None"]
    env["FILE_STORAGE"] = "ftp"
    out = subprocess.run([sys.executable, "-c", code], cwd=str(django_settings.BASE_DIR), env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "FILE_STORAGE must be local or s3" in out.stderr


def _upload(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")
