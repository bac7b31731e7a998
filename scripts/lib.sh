# Shared helpers for the harness scripts. Sourced, not run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=${UFFD_TREE:-$BUILD/linux}
CACHE=${UFFD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uffd-base}
# shellcheck source=/dev/null
. "$TOP/base/VERSION"

# Fixed identity and dates: the export must be byte-stable.
export GIT_COMMITTER_NAME="Userfaultfd Series" GIT_COMMITTER_EMAIL="userfaultfd@localhost"
export GIT_COMMITTER_DATE="2015-09-04 00:00:00 +0000"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*" >&2; }

# apt_install WHY PKG...: install PKGs as root (updating the lists if the
# first try fails); without root, stop and print the one command to run.
# While another apt-get or dpkg holds the dpkg lock (a fresh machine often
# runs one), apt-get waits for it up to APT_LOCK_TIMEOUT seconds (600).
# APT_GET and DPKG_LOCK_FILE replace apt-get and its lock file, for tests.
apt_install() {
	local why=$1; shift
	if [ "$(id -u)" -ne 0 ]; then
		die "$why: sudo apt-get install -y $*"
	fi
	local apt=${APT_GET:-apt-get} wait=${APT_LOCK_TIMEOUT:-600}
	local lock=${DPKG_LOCK_FILE:-/var/lib/dpkg/lock-frontend} holder
	local lockopt=(-o "DPkg::Lock::Timeout=$wait")
	mkdir -p "$BUILD"
	# The pid that holds the lock, if one does. dpkg and apt-get lock with
	# fcntl, which flock(1) does not see; F_GETLK does, and names the pid.
	holder=$(python3 -c '
import fcntl, os, struct, sys
try:
    fd = os.open(sys.argv[1], os.O_RDWR)
except OSError:
    sys.exit()
f = "hhqqi4x"
l = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(f, fcntl.F_WRLCK, 0, 0, 0, 0))
t, _, _, _, pid = struct.unpack(f, l)
if t != fcntl.F_UNLCK:
    print(pid)' "$lock" 2>/dev/null) || holder=
	if [ -n "$holder" ]; then
		if [ "$holder" -gt 0 ]; then
			holder="pid $holder ($(cat "/proc/$holder/comm" 2>/dev/null || echo '?'))"
		else
			holder="a process it cannot name"
		fi
		say "waiting for the dpkg lock ($lock), held by $holder, up to ${wait}s (APT_LOCK_TIMEOUT)"
	fi
	say "installing $*"
	if ! DEBIAN_FRONTEND=noninteractive "$apt" "${lockopt[@]}" install -y --no-install-recommends "$@" >"$BUILD/apt.log" 2>&1; then
		"$apt" "${lockopt[@]}" update >>"$BUILD/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive "$apt" "${lockopt[@]}" install -y --no-install-recommends "$@" \
			>>"$BUILD/apt.log" 2>&1 || die "apt-get install $* failed (log: $BUILD/apt.log)"
	fi
}

# need CMD PKG...: make sure CMD exists, installing PKG with apt-get if root.
need() {
	local cmd=$1; shift
	command -v "$cmd" >/dev/null 2>&1 && return 0
	apt_install "'$cmd' is missing; install it with" "$@"
}

# need_file PATH PKG: make sure PATH exists, installing PKG if root.
need_file() {
	[ -e "$1" ] && return 0
	need "__missing_$(basename "$1")" "$2"
}

# Every tool and file the harness uses, with the Debian 12 package that
# ships it: "command NAME PKG" or "file PATH PKG" (the environment may
# override the list, for tests).
HARNESS_NEEDS=${HARNESS_NEEDS:-'
command git git
command gcc gcc
command make make
command file file
command flex flex
command bison bison
command bc bc
command rsync rsync
command cpio cpio
command xz xz-utils
command perl perl
command python3 python3
command ccache ccache
command qemu-system-x86_64 qemu-system-x86
command busybox busybox-static
command stress-ng stress-ng
file /usr/sbin/criu criu
command sparse sparse
file /usr/share/seabios/bios-256k.bin seabios
file /usr/include/libelf.h libelf-dev
file /usr/include/openssl/ssl.h libssl-dev
file /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
file /usr/lib/x86_64-linux-gnu/libnuma.a libnuma-dev
'}

# need_all: install everything HARNESS_NEEDS lists that is missing, in one
# apt-get call as root; otherwise name all of it in one command and stop.
need_all() {
	local kind what pkg missing=()
	mkdir -p "$BUILD"
	while read -r kind what pkg; do
		case $kind in
		command) command -v "$what" >/dev/null 2>&1 && continue ;;
		file) [ -e "$what" ] && continue ;;
		*) continue ;;
		esac
		missing+=("$pkg")
	done <<<"$HARNESS_NEEDS"
	# The guest's /bin/sh must be a static busybox.
	if command -v busybox >/dev/null 2>&1 &&
	   ! file -L "$(command -v busybox)" 2>/dev/null | grep -q 'statically linked'; then
		missing+=(busybox-static)
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_install "the harness (for Debian 12) needs these packages" "${missing[@]}"
}

# new_lines WAS NOW: the lines of file NOW that file WAS does not have, as
# many times as NOW has them beyond WAS's count. Lines are compared without
# the line (and column) number after their "FILE:" prefix, so a warning the
# base already gives still matches after the code around it moved.
new_lines() {
	awk 'function key(l) { sub(/:[0-9]+(:[0-9]+)?: /, ": ", l); return l }
	     FILENAME == ARGV[1] { was[key($0)]++; next }
	     { k = key($0); if (was[k] > 0) was[k]--; else print }' "$1" "$2"
}

# kbuild ARGS...: make in a kernel tree with the compiler and environment
# every kernel build of the harness uses (ccache when there is one), one at
# a time on this machine. A different CC would make kbuild rebuild it all.
kbuild() {
	local cc=gcc
	command -v ccache >/dev/null 2>&1 && cc="ccache gcc"
	CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G} \
	CCACHE_BASEDIR=$TOP KBUILD_BUILD_TIMESTAMP="2015-09-04" KBUILD_BUILD_USER=uffd \
	KBUILD_BUILD_HOST=harness flock "$BUILD/.kbuild.lock" make ARCH=x86 CC="$cc" "$@"
}

# run_lock WHAT: one WHAT (make check, make run, a boot NAME, ...) at a
# time in this build folder; a second one stops at once and says which
# process holds it: two at once would overwrite each other's logs, test
# programs and initramfs. The lock lasts until this script and everything it
# started have ended.
run_lock() {
	local lock=$BUILD/.lock-$1 fd
	mkdir -p "$BUILD"
	exec {fd}>>"$lock"
	if ! flock -n "$fd"; then
		die "another '$1' is running in $BUILD ($(cat "$lock.owner" 2>/dev/null || echo "owner unknown")); wait for it to end or stop it: two at once would overwrite each other's logs and initramfs"
	fi
	echo "pid $$, since $(date '+%F %T')" >"$lock.owner"
}

# Elapsed-time stage lines for make run / make check.
T0=${UFFD_T0:-$(date +%s)}
export UFFD_T0=$T0
stage() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*"; }

# verdict CMD RESULT.json|LIST ...: read a judged run (judge.py --json) or a
# test list as data: see scripts/verdict.py. The scripts never parse the
# judge's text.
verdict() { python3 "$TOP/scripts/verdict.py" "$@"; }
