"""The packet's memory is flat in the pages of its materials: binding a 400-page scan peaks within
10% of binding a 200-page scan (each measured in a process of its own, packet_memory_probe.py)."""

import re
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).with_name("packet_memory_probe.py")


def probe(pages: int) -> dict[str, int]:
    done = subprocess.run([sys.executable, str(PROBE), str(pages)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"pages=(\d+) peak_kib=(\d+) before_kib=(\d+)", done.stdout)
    assert found, done.stdout[-500:]
    return {"pages": int(found.group(1)), "peak": int(found.group(2)), "before": int(found.group(3))}


def test_the_packets_peak_memory_for_400_pages_is_within_ten_percent_of_that_for_200():
    small, large = probe(200), probe(400)
    assert large["pages"] - small["pages"] == 200
    assert large["peak"] <= small["peak"] * 1.10, (small, large)
    # what the build itself adds to the process (fonts, layout, the binding) does not grow with the
    # material's pages: the 200 more pages add at most 32 KiB each (a page's objects in qpdf's tables;
    # a binding that holds the pages' images adds ~125 KiB a scanned page). Not a ratio of the two
    # additions: once warm, a build adds well under a MiB to the process, and a ratio of such small
    # figures only measures the allocator.
    added = {name: probe_["peak"] - probe_["before"] for name, probe_ in (("small", small), ("large", large))}
    assert (added["large"] - added["small"]) / 200 <= 32, (small, large)
