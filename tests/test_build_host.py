"""The host a student was built on, recorded in its model.json (build_encoder.host_cpu): one
command gave two students on two hosts both named "AMD EPYC", so the generation is recorded too."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from build_encoder import host_cpu  # noqa: E402

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 1
flags\t\t: fpu sse2 avx avx2 avx512f avx512_vnni avx512_bf16 avx512_vp2intersect

processor\t: 1
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
"""


def test_the_host_names_the_cpu_its_generation_and_the_int8_instructions(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    host = host_cpu(path)
    # "model" is its own field, not the first line that starts with it ("model name")
    assert (host["cpu"], host["family"], host["model"]) == ("AMD EPYC", "26", "2")
    assert host["flags"] == ["avx2", "avx512f", "avx512_vnni", "avx512_bf16"]


def test_without_cpuinfo_the_host_is_still_named(tmp_path):
    host = host_cpu(tmp_path / "missing")
    assert host["flags"] is None and host["machine"]
