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

# apt_install WHY PKG...: install PKGs as root (updating the lists if the
# first try fails); without root, stop and print the one command to run.
apt_install() {
	local why=$1; shift
	if [ "$(id -u)" -ne 0 ]; then
		die "$why: sudo apt-get install -y $*"
	fi
	say "installing $*"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$BUILD/apt.log" 2>&1; then
		apt-get update >>"$BUILD/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
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

# Elapsed-time stage lines for make run / make check.
T0=${UFFD_T0:-$(date +%s)}
export UFFD_T0=$T0
stage() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
