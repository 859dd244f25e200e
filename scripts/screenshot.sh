#!/usr/bin/env bash
# Makes the README's screenshot: the app on a demo board under Xvfb, captured once its window
# has drawn. Usage: scripts/screenshot.sh <tandem binary> <output.png>
set -euo pipefail
app=$1
out=$2
display=:93

tmp=$(mktemp -d)
cleanup() {
	[ -n "${pid:-}" ] && kill -- "-$pid" 2>/dev/null || true
	[ -n "${hub:-}" ] && kill "$hub" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
export TANDEM_DB=$tmp/demo.db XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config NO_AT_BRIDGE=1

add() { "$app" task add "$1" --column "$2" >/dev/null; }
add "Draft the Q3 roadmap" "To do"
add "Review pull request #482: faster board snapshots" "To do"
add "Book a venue for the team offsite" "To do"
add "Update the onboarding guide" "To do"
add "Migrate billing to the new payments API" "Doing"
add "Design the settings panel" "Doing"
add "Ship v0.1 to beta testers" "Done"
add "Fix the crash on an empty project" "Done"

# A second, headless instance, so the badge shows the link between copies of Tandem.
"$app" hub 2>/dev/null &
hub=$!

# The screen is the window's size, so the shot is the window and nothing else.
setsid "$(dirname "$0")/headless.sh" "$display" 1180x760 "$app" >"$tmp/app.log" 2>&1 &
pid=$!

deadline=$((SECONDS + 30))
until DISPLAY=$display xwininfo -name Tandem >/dev/null 2>&1; do
	if ((SECONDS > deadline)); then
		echo "screenshot: the window did not appear; the app said:" >&2
		cat "$tmp/app.log" >&2
		exit 1
	fi
	sleep 0.2
done
# The window exists before the web view has painted the board; give it a moment.
sleep 6
DISPLAY=$display import -window root "$out"
echo "screenshot: wrote $out"
