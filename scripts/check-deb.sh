#!/usr/bin/env bash
# Checks a built .deb: it installs `tandem` on the PATH with its desktop entry and icons, and
# says what it needs from Debian. Usage: scripts/check-deb.sh <package.deb>
set -euo pipefail
deb=$1
contents=$(dpkg-deb -c "$deb")
fail() {
	echo "check-deb: $deb: $*" >&2
	exit 1
}
has() { grep -qE "$1" <<<"$contents" || fail "it holds no $2"; }

has ' \./usr/bin/tandem$|[^/]usr/bin/tandem$' "usr/bin/tandem"
grep -E 'usr/bin/tandem$' <<<"$contents" | grep -q '^-rwxr-xr-x' || fail "usr/bin/tandem is not executable"
has 'usr/share/applications/[^/]+\.desktop$' "desktop entry"
for size in 32x32 128x128; do
	has "usr/share/icons/hicolor/$size/apps/tandem\.png$" "$size icon"
done

entry=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards 'usr/share/applications/*.desktop')
grep -qx 'Exec=tandem' <<<"$entry" || fail "its desktop entry does not run tandem: $entry"
grep -qx 'Icon=tandem' <<<"$entry" || fail "its desktop entry has no tandem icon"

[ "$(dpkg-deb -f "$deb" Package)" = tandem ] || fail "the package is not named tandem"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libwebkit2gtk-4.1-0 libayatana-appindicator3-1; do
	grep -q "$lib" <<<"$depends" || fail "it does not depend on $lib ($depends)"
done
echo "check-deb: $deb installs tandem, its desktop entry and icons"
