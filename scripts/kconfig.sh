#!/usr/bin/env bash
# kconfig.sh SRC OBJ FRAGMENT...: allnoconfig + fragments, olddefconfig, then
# check that every symbol the fragments ask for has the value asked for.
# configs/series.config symbols are checked only where SRC defines them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$2"
src=$(cd "$1" && pwd) obj=$(cd "$2" && pwd)
shift 2
mkdir -p "$obj"
frags=()
for f in "$@"; do
	f=$(realpath "$f")
	if [ "$(basename "$f")" = series.config ]; then
		# Keep only the symbols this tree defines.
		tmp=$obj/series.defined.config
		: >"$tmp"
		while IFS= read -r line; do
			sym=$(sed -nE 's/^(# )?CONFIG_([A-Za-z0-9_]+)[= ].*/\2/p' <<<"$line")
			[ -n "$sym" ] || continue
			if grep -rqsE "^[[:space:]]*(menu)?config[[:space:]]+$sym\$" --include='Kconfig*' "$src"; then
				echo "$line" >>"$tmp"
			fi
		done <"$f"
		frags+=("$tmp")
	else
		frags+=("$f")
	fi
done

(cd "$src" && KCONFIG_CONFIG="$obj/.config" ARCH=x86 \
	scripts/kconfig/merge_config.sh -n -O "$obj" "${frags[@]}" >"$obj/merge.log" 2>&1) ||
	die "merge_config.sh failed (see $obj/merge.log)"
make -s -C "$src" O="$obj" ARCH=x86 olddefconfig >>"$obj/merge.log" 2>&1 ||
	die "olddefconfig failed (see $obj/merge.log)"

# The last fragment that names a symbol decides its value.
declare -A want=()
order=()
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; val=n ;;
		CONFIG_*=*) sym=${line%%=*}; val=${line#*=} ;;
		*) continue ;;
		esac
		[ -n "${want[$sym]+set}" ] || order+=("$sym")
		want[$sym]=$val
	done <"$f"
done
bad=()
for sym in "${order[@]}"; do
	have=$(grep -E "^$sym=" "$obj/.config" | head -n1 | cut -d= -f2-) || true
	[ -n "$have" ] || have=n
	[ "$have" = "${want[$sym]}" ] || bad+=("$sym=${want[$sym]} (got $have)")
done
if [ ${#bad[@]} -gt 0 ]; then
	die "config symbols not set as asked: ${bad[*]}"
fi
