#!/bin/sh
# Install what virtbench needs to build and test, from Debian's archive.
# Idempotent: installs only what is missing. Run as root (or with sudo).
set -eu
pkgs="build-essential meson ninja-build pkg-config libjansson-dev libsqlite3-dev libssl-dev
      libopenblas-pthread-dev liblapacke-dev gfortran libseccomp-dev libcap-ng-dev libnl-route-3-dev busybox-static nftables debootstrap
      qemu-system-x86 qemu-utils e2fsprogs xz-utils criu zlib1g-dev
      clang libclang-rt-14-dev clang-format sqlite3 jq python3 procps file chromium
      man-db groff-base bsdextrautils zsh"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
