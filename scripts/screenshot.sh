#!/usr/bin/env bash
# Makes the README's screenshot: the app on a demo board under Xvfb, captured once its window
# has drawn. Usage: scripts/screenshot.sh <tandem binary> <output.png> [light|dark] [conversation]
# With "conversation", the shot is a card's details open on its people and comments.
set -euo pipefail
app=$1
out=$2
theme=${3:-light}
view=${4:-board}
display=:93

tmp=$(mktemp -d)
cleanup() {
	[ -n "${pid:-}" ] && kill -- "-$pid" 2>/dev/null || true
	[ -n "${hub:-}" ] && kill "$hub" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
export TANDEM_DB=$tmp/demo.db XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state NO_AT_BRIDGE=1
mkdir -p "$tmp/config/dev.tandem.board"
echo "{\"theme\": \"$theme\"}" >"$tmp/config/dev.tandem.board/settings.json"

add() { "$app" task add "$1" --column "$2"; }
quiet() { "$app" "$@" >/dev/null; }
quiet label add Design --color "#7c3aed"
quiet label add Backend --color "#0369a1"
quiet label add Docs --color "#0f766e"
quiet label add Bug --color "#dc2626"
roadmap=$(add "Draft the Q3 roadmap" "To do")
quiet task edit "$roadmap" --priority high --due 2026-12-04 --description "Themes, bets, and what we stop doing."
review=$(add "Review pull request #482: faster board snapshots" "To do")
quiet task label "$review" Backend
add "Book a venue for the team offsite" "To do" >/dev/null
guide=$(add "Update the onboarding guide" "To do")
quiet task label "$guide" Docs
billing=$(add "Migrate billing to the new payments API" "Doing")
quiet task label "$billing" Backend
quiet task edit "$billing" --priority urgent
for item in "Map the old events" "Dual-write for a week" "Switch the reads" "Remove the old client"; do
	quiet subtask add "$billing" "$item"
done
"$app" task show "$billing" --json | grep -o '"id": "[^"]*"' | sed -n '2,3p' | cut -d'"' -f4 |
	while read -r item; do quiet subtask check "$item"; done
settings=$(add "Design the settings panel" "Doing")
quiet task label "$settings" Design
add "Ship v0.1 to beta testers" "Done" >/dev/null
crash=$(add "Fix the crash on an empty project" "Done")
quiet task label "$crash" Bug
quiet task assign "$roadmap" ada
quiet task assign "$billing" ada grace
quiet task assign "$settings" grace
# Ada and Grace talk on the billing card, as their own copies of Tandem would have written it.
sqlite3 "$TANDEM_DB" "
INSERT INTO comments (id, task_id, author, body, created_at, updated_at, edited_at) VALUES
 ('c1', '$billing', 'ada', 'Dual-write is on in staging. Error rate is flat: see the [dashboard](https://example.com/billing).', 1796374800000, 1796374800000, NULL),
 ('c2', '$billing', 'grace', '@ada nice. I''ll switch the reads on **Monday**; anything left on the old client?', 1796378400000, 1796378700000, 1796378700000);"

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
if [ "$view" = conversation ]; then
	# The billing card is the first in Doing: click it, then C opens its details on the
	# comment box.
	DISPLAY=$display xdotool mousemove 470 205 click 1
	sleep 0.5
	DISPLAY=$display xdotool key c
	sleep 2
fi
DISPLAY=$display import -window root "$out"
echo "screenshot: wrote $out"
