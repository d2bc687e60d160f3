#!/usr/bin/env bash
# An arm64 Python 3.11 with this machine's onnxruntime, numpy and tokenizers versions, run under
# QEMU's user-mode emulator: what cpu_identity.py --arch aarch64 needs. As root on Debian 12
# (adds the arm64 architecture to dpkg to download its packages; installs none of them).
#
#     bash training/experiments/arm64_sysroot.sh [DEST]     # DEST: training/out/arm64
#
# DEST/sysroot holds Debian's arm64 python3.11 and the C and C++ libraries (unpacked, not
# installed), DEST/site the arm64 wheels, DEST/cpuinfo.* a /proc/cpuinfo per emulated CPU.
# QEMU 7.2 passes the host's (x86) /proc/cpuinfo through, and onnxruntime's CPU detection
# crashes reading it, so the child runs in a mount namespace with one of these bound over it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:-$ROOT/training/out/arm64}
PY=${PY:-$ROOT/.venv/bin/python}
# From scratch each time: older packages unpacked over newer ones would win.
rm -rf "$DEST/debs" "$DEST/sysroot" "$DEST/wheels" "$DEST/site" "$DEST/.ok"
mkdir -p "$DEST/debs" "$DEST/sysroot" "$DEST/wheels" "$DEST/site"

command -v qemu-aarch64 >/dev/null || apt-get install -y -q qemu-user
archs=$(dpkg --print-foreign-architectures)
[[ " $archs " == *" arm64 "* ]] || dpkg --add-architecture arm64
# Also after an interrupted first run: the arm64 package lists may be missing.
if ! apt-cache policy python3.11-minimal:arm64 | grep -q 'Candidate: [0-9]'; then
  apt-get update -q
fi
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances python3.11-minimal:arm64 libpython3.11-stdlib:arm64 libstdc++6:arm64 \
  libgomp1:arm64 | grep -E '^[a-z0-9].*:arm64$' | sort -u)
(cd "$DEST/debs" && apt-get download $pkgs)
for f in "$DEST"/debs/*.deb; do dpkg -x "$f" "$DEST/sysroot"; done

version() { "$PY" -c "import $1; print($1.__version__)"; }
"$PY" -m pip download -q --only-binary=:all: --python-version 3.11 --implementation cp \
  --platform manylinux_2_28_aarch64 --platform manylinux_2_27_aarch64 --platform manylinux_2_17_aarch64 \
  --platform manylinux2014_aarch64 -d "$DEST/wheels" \
  "onnxruntime==$(version onnxruntime)" "numpy==$(version numpy)" "tokenizers==$(version tokenizers)"
for w in "$DEST"/wheels/*.whl; do "$PY" -m zipfile -e "$w" "$DEST/site"; done

# Two cores each, as the machines this project runs on. Parts: Cortex-A72 0xd08 (Armv8.0 NEON),
# Neoverse N1 0xd0c (Armv8.2 with dot product: AWS Graviton2), Neoverse V1 0xd40 (SVE, int8
# matrix multiply, bf16: Graviton3) for QEMU's `max`.
cpuinfo() {  # PART FEATURES
  for p in 0 1; do
    printf 'processor\t: %s\nBogoMIPS\t: 50.00\nFeatures\t: %s\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: %s\nCPU revision\t: 0\n\n' "$p" "$2" "$1"
  done
}
base="fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid"
v82="$base atomics fphp asimdhp asimdrdm lrcpc dcpop asimddp ssbs"
cpuinfo 0xd08 "$base" > "$DEST/cpuinfo.cortex-a72"
cpuinfo 0xd0c "$v82" > "$DEST/cpuinfo.neoverse-n1"
cpuinfo 0xd40 "$v82 jscvt fcma sha3 sm3 sm4 sha512 sve asimdfhm dit uscat ilrcpc flagm paca pacg dcpodp svei8mm svebf16 i8mm bf16 dgh rng" > "$DEST/cpuinfo.max"
"$ROOT/training/experiments/arm64_run.sh" "$DEST" neoverse-n1 -c "import onnxruntime, platform; print(platform.machine(), onnxruntime.__version__)"
touch "$DEST/.ok"  # what the tests look for: everything above worked
