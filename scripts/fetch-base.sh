#!/usr/bin/env bash
# Fetch a pinned base source package into the cache, verify it, and print
# the path of the verified tarball (its name ends in the revision). Takes
# the first of base/VERSION's REVISIONS whose tarball is already cached and
# verified, else the first one apt offers, and says which; never floats to
# a revision the list does not name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$CACHE"
sha_ok() { echo "$2  $1" | sha256sum -c --status 2>/dev/null; }
offered() { apt-cache madison "$PACKAGE" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u | tr '\n' ' '; }
wanted() { awk 'NF == 3 { print $1 }' <<<"$REVISIONS" | tr '\n' ' '; }

while read -r ver debsum tarsum; do
	[ -n "$ver" ] || continue
	if [ -f "$CACHE/$TARBALL.$ver" ] && sha_ok "$CACHE/$TARBALL.$ver" "$tarsum"; then
		say "base: $PACKAGE $ver (cached)"
		echo "$CACHE/$TARBALL.$ver"
		exit 0
	fi
done <<<"$REVISIONS"

if [ -z "$(offered)" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		say "apt lists have no $PACKAGE; running apt-get update"
		apt-get update >/dev/null 2>&1 || true
	else
		die "apt lists have no $PACKAGE; run: sudo apt-get update"
	fi
fi
have=" $(offered) "
while read -r ver debsum tarsum; do
	[ -n "$ver" ] || continue
	[[ $have == *" $ver "* ]] || continue
	deb=$CACHE/${PACKAGE}_${ver}_all.deb
	tarball=$CACHE/$TARBALL.$ver
	if ! [ -f "$deb" ] || ! sha_ok "$deb" "$debsum"; then
		rm -f "$deb"
		say "downloading $PACKAGE=$ver into $CACHE"
		(cd "$CACHE" && apt-get download "$PACKAGE=$ver" >/dev/null 2>&1) ||
			die "apt-get download $PACKAGE=$ver failed"
		[ -f "$deb" ] || die "apt-get download did not produce $deb"
		if ! sha_ok "$deb" "$debsum"; then
			got=$(sha256sum "$deb" | cut -d' ' -f1)
			rm -f "$deb"
			die "$deb: sha256 $got, expected $debsum (revision $ver)"
		fi
	fi
	say "extracting $TARBALL from the verified package"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$TARBALL" >"$tarball.tmp"
	if ! sha_ok "$tarball.tmp" "$tarsum"; then
		rm -f "$tarball.tmp"
		die "$TARBALL inside $deb does not match $tarsum"
	fi
	mv "$tarball.tmp" "$tarball"
	say "base: $PACKAGE $ver"
	echo "$tarball"
	exit 0
done <<<"$REVISIONS"
die "none of the pinned revisions of $PACKAGE is offered by apt (pinned: $(wanted); offered: $(offered))"
