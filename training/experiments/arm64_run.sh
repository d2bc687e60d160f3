#!/usr/bin/env bash
# Runs the arm64 Python of arm64_sysroot.sh under QEMU as CPU model QEMU_CPU (`qemu-aarch64 -cpu
# help`; options after a comma, such as max,sme=off), with DEST/cpuinfo.<model> bound over
# /proc/cpuinfo in a private mount namespace (root). Arguments after the CPU go to Python.
#
#     training/experiments/arm64_run.sh DEST QEMU_CPU ARGS...
set -euo pipefail
DEST=$(cd "$1" && pwd)
CPU=$2
shift 2
MODEL=${CPU%%,*}
INFO="$DEST/cpuinfo.$MODEL"
[ -f "$INFO" ] || INFO="$DEST/cpuinfo.neoverse-n1"
export PYTHONPATH="$DEST/site"
exec unshare -m sh -c 'mount --bind "$0" /proc/cpuinfo && root=$1 cpu=$2 && shift 2 &&
  exec qemu-aarch64 -L "$root" -cpu "$cpu" "$root/usr/bin/python3.11" "$@"' \
  "$INFO" "$DEST/sysroot" "$CPU" "$@"
