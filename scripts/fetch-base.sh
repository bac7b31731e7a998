#!/usr/bin/env bash
# Fetch the pinned base source package into the cache, verify it, and print
# the path of the verified tarball. Never floats to another version.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

deb=$CACHE/${PACKAGE}_${VERSION}_all.deb
tarball=$CACHE/$TARBALL.$VERSION
mkdir -p "$CACHE"

sha_ok() { echo "$2  $1" | sha256sum -c --status 2>/dev/null; }

if [ -f "$tarball" ] && sha_ok "$tarball" "$TARBALL_SHA256"; then
	echo "$tarball"
	exit 0
fi

if ! [ -f "$deb" ] || ! sha_ok "$deb" "$DEB_SHA256"; then
	rm -f "$deb"
	offered() { apt-cache madison "$PACKAGE" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u | tr '\n' ' '; }
	if [ -z "$(offered)" ]; then
		if [ "$(id -u)" -eq 0 ]; then
			say "apt lists have no $PACKAGE; running apt-get update"
			apt-get update >/dev/null 2>&1 || true
		else
			die "apt lists have no $PACKAGE; run: sudo apt-get update"
		fi
	fi
	if ! offered | tr ' ' '\n' | grep -qx "$VERSION"; then
		die "$PACKAGE version $VERSION is not offered by apt (offered: $(offered))"
	fi
	say "downloading $PACKAGE=$VERSION into $CACHE"
	(cd "$CACHE" && apt-get download "$PACKAGE=$VERSION" >/dev/null 2>&1) ||
		die "apt-get download $PACKAGE=$VERSION failed"
	[ -f "$deb" ] || die "apt-get download did not produce $deb"
	if ! sha_ok "$deb" "$DEB_SHA256"; then
		got=$(sha256sum "$deb" | cut -d' ' -f1)
		rm -f "$deb"
		die "$deb: sha256 $got, expected $DEB_SHA256 (version $VERSION)"
	fi
fi

say "extracting $TARBALL from the verified package"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$TARBALL" >"$tarball.tmp"
if ! sha_ok "$tarball.tmp" "$TARBALL_SHA256"; then
	rm -f "$tarball.tmp"
	die "$TARBALL inside $deb does not match $TARBALL_SHA256"
fi
mv "$tarball.tmp" "$tarball"
echo "$tarball"
