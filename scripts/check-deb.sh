#!/usr/bin/env bash
# Checks a built .deb: it installs `tandem` (the command) and `tandem-desktop` (the app) on the
# PATH with the app's desktop entry and icons, says what it needs from Debian, and both paths
# work from the installed files: a command maps none of the desktop's libraries, and `tandem`
# without one becomes the app beside it. Usage: scripts/check-deb.sh <package.deb>
set -euo pipefail
deb=$1
contents=$(dpkg-deb -c "$deb")
fail() {
	echo "check-deb: $deb: $*" >&2
	exit 1
}
has() { grep -qE "$1" <<<"$contents" || fail "it holds no $2"; }

for program in tandem tandem-desktop; do
	has "[^/]usr/bin/$program\$" "usr/bin/$program"
	grep -E "usr/bin/$program\$" <<<"$contents" | grep -q '^-rwxr-xr-x' ||
		fail "usr/bin/$program is not executable"
done
has 'usr/share/applications/[^/]+\.desktop$' "desktop entry"
for size in 32x32 128x128; do
	has "usr/share/icons/hicolor/$size/apps/tandem-desktop\.png$" "$size icon"
done

entry=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards 'usr/share/applications/*.desktop')
grep -qx 'Exec=tandem-desktop' <<<"$entry" || fail "its desktop entry does not run the app: $entry"
grep -qx 'Icon=tandem-desktop' <<<"$entry" || fail "its desktop entry has no icon of Tandem's"

[ "$(dpkg-deb -f "$deb" Package)" = tandem ] || fail "the package is not named tandem"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libwebkit2gtk-4.1-0 libayatana-appindicator3-1; do
	grep -q "$lib" <<<"$depends" || fail "it does not depend on $lib ($depends)"
done

# Both paths, from the files as installed.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
if readelf -d "$root/usr/bin/tandem" | grep NEEDED | grep -Eq 'webkit|gtk'; then
	fail "usr/bin/tandem needs the desktop's libraries"
fi
export XDG_DATA_HOME=$root/data XDG_CONFIG_HOME=$root/config XDG_STATE_HOME=$root/state XDG_RUNTIME_DIR=$root/run
mkdir -m 700 "$root/run"
TANDEM_DB=$root/board.db "$root/usr/bin/tandem" task add "Installed" >/dev/null ||
	fail "usr/bin/tandem cannot add a task"
said=$(env -u DISPLAY -u WAYLAND_DISPLAY "$root/usr/bin/tandem" 2>&1 || true)
grep -q 'no display' <<<"$said" || fail "usr/bin/tandem did not become the app beside it: $said"
echo "check-deb: $deb installs tandem and tandem-desktop, the desktop entry and icons; both run"
