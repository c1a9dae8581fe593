#!/bin/sh
# Install what virtbench needs to build and test, from Debian's archive.
# Idempotent: installs only what is missing. Run as root (or with sudo).
set -eu
pkgs="build-essential meson ninja-build pkg-config libjansson-dev libsqlite3-dev libssl-dev
      libopenblas-pthread-dev liblapacke-dev gfortran libseccomp-dev libcap-ng-dev libnl-route-3-dev busybox-static nftables debootstrap
      qemu-system-x86 qemu-utils e2fsprogs xz-utils criu zlib1g-dev
      clang libclang-rt-14-dev clang-format sqlite3 jq python3 procps file chromium
      man-db groff-base bsdextrautils zsh
      nginx apache2-utils wrk postgresql-15 php8.2-cli
      rabbitmq-server librabbitmq-dev libpq-dev virtuoso-opensource-7 libcurl4-openssl-dev
      default-jre-headless libapache-jena-java unzip"
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
# The servers of the app workloads are started by virtbench itself, never
# as system services: a policy-rc.d that says no keeps the packages' scripts
# from starting them (one already there is left as it is).
rcd=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	rcd=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' >"$rcd"
	chmod 755 "$rcd"
fi
status=0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || status=$?
[ -z "$rcd" ] || rm -f "$rcd"
exit "$status"
