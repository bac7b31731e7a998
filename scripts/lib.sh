# Shared helpers for the harness scripts. Sourced, not run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux
CACHE=${UFFD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uffd-base}
# shellcheck source=/dev/null
. "$TOP/base/VERSION"

# Fixed identity and dates: the export must be byte-stable.
export GIT_COMMITTER_NAME="Userfaultfd Series" GIT_COMMITTER_EMAIL="userfaultfd@localhost"
export GIT_COMMITTER_DATE="2015-09-04 00:00:00 +0000"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*" >&2; }

# need CMD PKG...: make sure CMD exists, installing PKG with apt-get if root.
need() {
	local cmd=$1; shift
	command -v "$cmd" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "'$cmd' is missing; install it with: sudo apt-get install -y $*"
	fi
	say "installing $* (for $cmd)"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$BUILD/apt.log" 2>&1; then
		apt-get update >>"$BUILD/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
			>>"$BUILD/apt.log" 2>&1 || die "apt-get install $* failed (log: $BUILD/apt.log)"
	fi
}

# need_file PATH PKG: make sure PATH exists, installing PKG if root.
need_file() {
	[ -e "$1" ] && return 0
	need "__missing_$(basename "$1")" "$2"
}

# Every tool the harness uses, by the package that ships it.
need_all() {
	mkdir -p "$BUILD"
	need gcc gcc
	need make make
	need file file
	need flex flex
	need bison bison
	need bc bc
	need rsync rsync
	need cpio cpio
	need xz xz-utils
	need perl perl
	need python3 python3
	need ccache ccache
	need qemu-system-x86_64 qemu-system-x86
	need busybox busybox-static
	need_file /usr/include/libelf.h libelf-dev
	need_file /usr/include/openssl/ssl.h libssl-dev
	need_file /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
	need_file /usr/lib/x86_64-linux-gnu/libnuma.a libnuma-dev
	# The guest's /bin/sh must be a static busybox.
	if ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
		need_file /nonexistent-force busybox-static
	fi
}

# Elapsed-time stage lines for make run / make check.
T0=${UFFD_T0:-$(date +%s)}
export UFFD_T0=$T0
stage() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
