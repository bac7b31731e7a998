#!/usr/bin/env bash
# build-tests.sh OUT [NAME=VALUE...] GROUP...: build the static test programs
# that the named groups (tests/groups/GROUP.list) run, against the tree's
# exported headers, into OUT/bin, and write the guest's test list to OUT/list.
#
# A list line is "name<TAB>timeout<TAB>command". A word @NAME@ in it is a
# placeholder, filled here and only here: @UFFD@ with "present" or "absent"
# (whether the tree has userfaultfd), every other one with the VALUE that a
# NAME=VALUE argument gives (stress.sh passes SIZE=@SIZE@ on, which the guest's
# stress-loop fills at each iteration). A placeholder without a value stops
# the build. Every word of the command
# that names tools/testing/selftests/vm/WORD.c in the tree, tests/guest/WORD.c,
# bench/WORD.c or tests/guest/WORD (a script) is built or copied. A line whose
# program is not in the tree is left out and said so: the series may not have
# added it yet. TEST_GROUPS (tests/groups) is where the lists are.
#
# A selftest is built as kselftest builds it: from vm/WORD.c and the other
# sources that the selftest Makefile (tools/testing/selftests/vm/Makefile)
# names for it, the .c files of a line "$(OUTPUT)/WORD: a.c b.c" (such as
# vm_util.c for the programs that use vm_util.h). Each source is compiled on
# its own, with its own gcc -MMD dependency file, so a program is built again
# when any of its sources, a header that one of them includes, the installed
# uapi headers or its flags (which name its sources) change, and only then.
#
# upstream-WORD is tools/testing/selftests/vm/WORD.c of tag pristine, upstream
# 6.1's own selftest, unchanged, with the files it includes from there,
# built against the tree's uapi headers: the conformance check of the ABI.
#
# tests/guest/WORD.S is a guest image for QEMU (a 32-bit multiboot image
# linked at 1 MiB). tests/guest/WORD.files names the host programs and files
# a test runs in the guest (real clients from Debian's packages): each line
# is a package and the files it provides; they are installed if missing and
# copied, with the shared libraries they load, to OUT/root, which boot.sh
# lays over the guest's root at the same paths.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_all
out=$1
shift
declare -A fill=()
while [ $# -gt 0 ] && [[ $1 == *=* ]]; do
	[[ ${1%%=*} =~ ^[A-Z_]+$ ]] || die "placeholder names are upper case: '$1'"
	fill[${1%%=*}]=${1#*=}
	shift
done
[ $# -gt 0 ] || die "usage: build-tests.sh OUT [NAME=VALUE...] GROUP..."
[ -d "$TREE" ] || die "no build/linux: run 'make tree' first"
vm=$TREE/tools/testing/selftests/vm
hdr=$BUILD/obj/headers
rm -rf "$out/root"
mkdir -p "$out/bin" "$out/logs"
: >"$out/list"

# The tree's own uapi headers.
if ! [ -f "$hdr/stamp" ] || [ -n "$(find "$TREE/include/uapi" "$TREE/arch/x86/include/uapi" -newer "$hdr/stamp" -print -quit)" ]; then
	mkdir -p "$hdr"
	make -s -C "$TREE" O="$hdr" ARCH=x86 headers_install INSTALL_HDR_PATH="$hdr/usr" >"$hdr.log" 2>&1 ||
		die "make headers_install failed (see $hdr.log)"
	touch "$hdr/stamp"
fi

cflags=(-static -O2 -g0 -Wall -pthread -I"$hdr/usr/include" -I"$TREE/tools/testing/selftests"
	-I"$vm" -I"$TOP/tests/guest" -I"$TREE" -D_GNU_SOURCE)

# pack_files SPEC: the host files SPEC names, and the shared libraries the
# ELF ones load, copied into OUT/root at their own paths.
pack_files() {
	local pkg files f lib
	while read -r pkg files; do
		case $pkg in ''|'#'*) continue ;; esac
		for f in $files; do
			need_file "$f" "$pkg"
			mkdir -p "$out/root$(dirname "$f")"
			cp -L "$f" "$out/root$f"
			file -L "$f" | grep -q 'ELF.*dynamically linked' || continue
			for lib in $(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
				[ -e "$out/root$lib" ] && continue
				mkdir -p "$out/root$(dirname "$lib")"
				cp -L "$lib" "$out/root$lib"
			done
		done
	done <"$1"
}

# fresh BIN DEP FLAGS [FILE...]: BIN is newer than every file its dependency
# file DEP (the gcc -MMD files of all its sources, one after the other) names
# and every FILE, and was built with FLAGS.
fresh() {
	local bin=$1 dep=$2 flags=$3 f
	shift 3
	[ -f "$bin" ] && [ -f "$dep" ] && [ "$(cat "$dep.flags" 2>/dev/null)" = "$flags" ] || return 1
	for f in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$dep") "$@"; do
		[ "$bin" -nt "$f" ] || return 1
	done
}

# build_upstream upstream-WORD: see the header.
build_upstream() {
	local word=$1 name=${1#upstream-} up=$out/upstream/${1#upstream-} f
	local log=$out/logs/$1.log
	git -C "$TREE" cat-file -e "pristine:tools/testing/selftests/vm/$name.c" 2>/dev/null ||
		return 1
	rm -rf "$up"
	mkdir -p "$up/vm"
	for f in kselftest.h vm/$name.c vm/vm_util.c vm/vm_util.h; do
		git -C "$TREE" show "pristine:tools/testing/selftests/$f" >"$up/$f" ||
			die "no tools/testing/selftests/$f at tag pristine"
	done
	gcc -static -O2 -g0 -pthread -I"$hdr/usr/include" -I"$up/vm" -D_GNU_SOURCE \
		-o "$out/bin/$word" "$up/vm/vm_util.c" "$up/vm/$name.c" -lrt -lm >"$log" 2>&1 ||
		{ head -n 20 "$log" >&2; die "building $word from tag pristine failed (log $log)"; }
}

# makefile_sources WORD: the other sources of selftest WORD that the selftest
# Makefile names, in lines "$(OUTPUT)/WORD: a.c b.c" (a line may name more
# targets, and go on after a backslash); a line that sets a variable
# ("$(OUTPUT)/WORD: LDLIBS += -lnuma") names none.
makefile_sources() {
	[ -f "$vm/Makefile" ] || return 0
	awk -v target="\$(OUTPUT)/$1" '
		{ line = line $0 }
		/\\$/ { sub(/\\$/, " ", line); next }
		{
			i = index(line, ":")
			if (i && !index(line, "=")) {
				n = split(substr(line, 1, i - 1), t, " ")
				for (k = 1; k <= n; k++)
					if (t[k] == target) {
						m = split(substr(line, i + 1), s, " ")
						for (j = 1; j <= m; j++)
							if (s[j] ~ /\.c$/)
								print s[j]
					}
			}
			line = ""
		}' "$vm/Makefile"
}

build_one() {
	local word=$1 src extra=() libs=() log f
	log=$out/logs/$word.log
	mkdir -p "$out/logs"
	if [ "${word#upstream-}" != "$word" ]; then
		build_upstream "$word"
		return
	elif [ -f "$TOP/tests/guest/$word.c" ]; then
		src=$TOP/tests/guest/$word.c
	elif [ -f "$TOP/bench/$word.c" ]; then
		src=$TOP/bench/$word.c
	elif [ -f "$vm/$word.c" ]; then
		src=$vm/$word.c
		for f in $(makefile_sources "$word"); do
			extra+=("$vm/$f")
		done
		grep -q '<numa.h>' "$src" && libs+=(-lnuma)
	elif [ -f "$TOP/tests/guest/$word.S" ]; then
		src=$TOP/tests/guest/$word.S
		fresh "$out/bin/$word" "$out/logs/$word.d" "-m32 -I$TOP/tests/guest" && return 0
		echo "-m32 -I$TOP/tests/guest" >"$out/logs/$word.d.flags"
		{ gcc -m32 -c -I"$TOP/tests/guest" -MMD -MF "$out/logs/$word.d" -o "$out/logs/$word.o" "$src" &&
		  ld -m elf_i386 -N --no-warn-rwx-segments -Ttext 0x100000 -e _start \
			-o "$out/bin/$word" "$out/logs/$word.o"; } >"$log" 2>&1 ||
			{ head -n 20 "$log" >&2; die "building guest image $word failed (log $log)"; }
		return 0
	elif [ -f "$TOP/tests/guest/$word" ]; then
		cp "$TOP/tests/guest/$word" "$out/bin/$word"
		chmod +x "$out/bin/$word"
		[ -f "$TOP/tests/guest/$word.files" ] && pack_files "$TOP/tests/guest/$word.files"
		return 0
	else
		return 1
	fi
	[ -f "$TOP/tests/guest/$word.files" ] && pack_files "$TOP/tests/guest/$word.files"
	# Up to date: newer than every source and header it was built from
	# (gcc -MMD), and built with the same flags.
	local flags="${cflags[*]} ${extra[*]} ${libs[*]}"
	fresh "$out/bin/$word" "$out/logs/$word.d" "$flags" "${extra[@]}" "$hdr/stamp" && return 0
	echo "$flags" >"$out/logs/$word.d.flags"
	# One object and one dependency file per source; WORD.d, all of them,
	# only once the program is built.
	local objdir=$out/logs/$word.obj
	rm -rf "$objdir" "$out/logs/$word.d"
	mkdir -p "$objdir"
	(
		objs=() n=0
		for f in "${extra[@]}" "$src"; do
			n=$((n + 1))
			obj=$objdir/$n-$(basename "${f%.*}").o
			gcc "${cflags[@]}" -c -MMD -MF "${obj%.o}.d" -o "$obj" "$f" || exit 1
			objs+=("$obj")
		done
		gcc "${cflags[@]}" -o "$out/bin/$word" "${objs[@]}" "${libs[@]}" -lrt -lm
	) >"$log" 2>&1 ||
		{ head -n 20 "$log" >&2; die "building test program $word failed (log $log)"; }
	cat "$objdir"/*.d >"$out/logs/$word.d"
}

# Whether the tree has the userfaultfd system call (the series adds it).
fill[UFFD]=absent
grep -rqsE '^config USERFAULTFD$' "$TREE/init/Kconfig" "$TREE/mm/Kconfig" "$TREE/fs/Kconfig" && fill[UFFD]=present

# fill_in TEXT: TEXT with its placeholders filled.
fill_in() {
	local text=$1 k
	for k in "${!fill[@]}"; do
		text=${text//@$k@/${fill[$k]}}
	done
	printf '%s' "$text"
}

total=0
for g in "$@"; do
	gl=${TEST_GROUPS:-$TOP/tests/groups}/$g.list
	[ -f "$gl" ] || die "no test group $g"
	n=0
	while IFS=$'\t' read -r name tmo cmd; do
		case $name in ''|'#'*) continue ;; esac
		for w in $(grep -o '@[A-Za-z_]*@' <<<"$name	$tmo	$cmd" || true); do
			w=${w//@/}
			[ -n "${fill[$w]+set}" ] || die "$g/$name: placeholder @$w@ has no value (build-tests.sh OUT $w=VALUE ...)"
		done
		name=$(fill_in "$name")
		tmo=$(fill_in "$tmo")
		cmd=$(fill_in "$cmd")
		prog=${cmd%% *}
		if ! build_one "$prog"; then
			say "  $g/$name: $prog is not in this tree; left out"
			continue
		fi
		for w in ${cmd#"$prog"}; do
			case $w in -*|/*|*[!A-Za-z0-9_.-]*) continue ;; esac
			build_one "$w" || true
		done
		printf '%s/%s\t%s\t%s\n' "$g" "$name" "$tmo" "$cmd" >>"$out/list"
		n=$((n + 1))
	done <"$gl"
	[ $n -gt 0 ] || say "  group $g: no test programs in this tree yet"
	total=$((total + n))
done
say "built $total tests into $out"
