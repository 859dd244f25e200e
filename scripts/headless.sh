#!/usr/bin/env bash
# Runs a command on a private X display (Xvfb, no TCP, no authorization needed by local clients
# such as `import`) inside its own D-Bus session, and stops the display when the command ends.
# Usage: scripts/headless.sh <display like :99> <WxH> <command> [args...]
set -euo pipefail
display=$1
size=$2
shift 2

# A display whose server still runs (or is still closing) is not ours; a lock left by one that
# died, Xvfb takes over itself.
lock="/tmp/.X${display#:}-lock"
if [ -e "$lock" ] && kill -0 "$(tr -dc 0-9 <"$lock")" 2>/dev/null; then
	echo "headless: the display $display is in use (or its server is still closing)" >&2
	exit 1
fi
Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
deadline=$((SECONDS + 10))
until [ -e "/tmp/.X11-unix/X${display#:}" ]; do
	if ((SECONDS > deadline)) || ! kill -0 "$xvfb" 2>/dev/null; then
		echo "headless: Xvfb could not start on $display (is another server using it?)" >&2
		exit 1
	fi
	sleep 0.1
done
DISPLAY=$display NO_AT_BRIDGE=1 dbus-run-session -- "$@"
