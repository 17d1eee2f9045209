"""Peak resident memory of binding one packet with a scanned material of N pages; run as a script
(a process of its own, its own scratch database and media folder) by test_packet_memory.py.

Prints one line: ``pages=P peak_kib=K before_kib=B``. The material is generated, the heap it
freed handed back to the system, and the packet built once beforehand (fonts and libraries loaded),
then the process's peak is reset (/proc/self/clear_refs) and the packet written to a file again: K is
the peak of that build.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.project.settings")
os.environ.setdefault("DJANGO_ENV", "test")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _release_free_memory() -> None:
    """Hand the heap memory freed so far back to the system (glibc's malloc_trim): generating and
    uploading a scan of N pages leaves ~60 KiB per page of freed but still resident heap behind,
    which would count in the peak of the build measured after it."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to hand back this way
        pass


def main(pages: int) -> int:
    from tests.bench.bench_queue import _setup_database

    connection, old_name, scratch = _setup_database()
    media = tempfile.TemporaryDirectory(prefix="packet_memory_")
    try:
        import time_machine
        from django.conf import settings

        settings.MEDIA_ROOT = media.name
        from programs.models import RequiredMaterial
        from submissions.documents.packet import write_packet
        from submissions.filing import services
        from tests.bench.bench_packets import scanned_pdf
        from tests.conftest import build_world
        from tests.submissions.test_applicant_support import DEADLINE, actor, attach, make_call, ready

        world = build_world()
        call = make_call(world.jx, rubric_code="")
        RequiredMaterial.objects.filter(call=call, code="application-material").update(max_size_mb=200)
        with time_machine.travel(DEADLINE, tick=False):
            app = ready(world.applicant_admin, call)
            attach(world.applicant_admin, app, "application-material", scanned_pdf(pages), "扫描件.pdf")
            receipt = services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
        target = Path(media.name) / "packet.pdf"
        _release_free_memory()  # what making and uploading the material left: not the packet's
        write_packet(app, receipt, target)
        target.unlink()
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current size
        before = _status_kib("VmHWM")
        built = write_packet(app, receipt, target)
        peak = _status_kib("VmHWM")
        print(f"pages={built} peak_kib={peak} before_kib={before}")
        return 0
    finally:
        media.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch and os.path.exists(scratch):
            os.unlink(scratch)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
