#!/usr/bin/env bash
# The memory rows of `make bench`: the PSS of the desktop app and its WebKit processes (from
# /proc/PID/smaps_rollup) with one window, beside the same app on WebKitGTK's default renderer;
# what a second window adds, beside a second window with a web process of its own; and what a
# project of 10,000 cards adds, beside the same board with every card drawn. Prints Markdown table rows. Usage: scripts/memory.sh <tandem-desktop>
set -euo pipefail
app=$(realpath "$1")
cli=$(dirname "$app")/tandem
display=:97
here=$(dirname "$(realpath "$0")")

# PSS in kB of the app started on display $display, with `windows` windows open on a board of
# `cards` cards; extra arguments are environment settings for the app.
measure() {
	local windows=$1 cards=$2
	shift 2
	local tmp
	tmp=$(mktemp -d)
	mkdir -m 700 "$tmp/run"
	if ((cards > 0)); then
		seed "$tmp/board.db" "$cards"
	fi
	env "$@" TANDEM_DB="$tmp/board.db" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" \
		XDG_RUNTIME_DIR="$tmp/run" setsid "$here/headless.sh" "$display" 1280x800 "$app" \
		>"$tmp/app.log" 2>&1 &
	local group=$!
	local deadline=$((SECONDS + 60))
	until DISPLAY=$display xwininfo -name Tandem >/dev/null 2>&1; do
		if ((SECONDS > deadline)); then
			echo "memory: the window did not appear; the app said:" >&2
			cat "$tmp/app.log" >&2
			exit 1
		fi
		sleep 0.2
	done
	if ((windows > 1)); then
		DISPLAY=$display xdotool search --name Tandem windowactivate --sync >/dev/null 2>&1 || true
		DISPLAY=$display xdotool key ctrl+shift+n
		until (($(DISPLAY=$display xdotool search --name Tandem 2>/dev/null | wc -l) >= windows)); do
			if ((SECONDS > deadline)); then
				echo "memory: the second window did not appear" >&2
				exit 1
			fi
			sleep 0.2
		done
	fi
	# Let the pages draw and settle: memory, not speed, is measured here.
	sleep 6
	local total=0 pid kb
	for pid in $(pgrep -g "$group"); do
		kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
		tandem-desktop | WebKitWebProces | WebKitNetworkP*) total=$((total + ${kb:-0})) ;;
		esac
	done
	kill -- "-$group" 2>/dev/null || true
	wait "$group" 2>/dev/null || true
	# The next measure starts a display of the same name: this one must be gone first, or the
	# next app meets its dying server ("Failed to initialize GTK").
	local gone=$((SECONDS + 15))
	while [ -e "/tmp/.X${display#:}-lock" ] || [ -e "/tmp/.X11-unix/X${display#:}" ]; do
		if ((SECONDS > gone)); then
			echo "memory: the display $display did not close" >&2
			exit 1
		fi
		sleep 0.1
	done
	rm -rf "$tmp"
	echo "$total"
}

# A board of `cards` cards in the file $1, written as another program would write it; each card
# has a description of about 1.7 KB, as cards brought from other tools often do.
seed() {
	TANDEM_DB=$1 "$cli" task add "Seed" >/dev/null
	sqlite3 "$1" "
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2),
			ranked AS (SELECT id, project_id, row_number() OVER (ORDER BY position) - 1 AS k FROM columns)
		INSERT INTO tasks (id, project_id, column_id, title, description, position, created_at, updated_at)
		SELECT printf('seed-%05d', i), r.project_id, r.id, printf('Card %05d: follow up on item %d', i, i),
			replace(printf('%.*c', 40, 'x'), 'x', 'Lorem ipsum dolor sit amet, consectetur. '), i * 1024, 0, 0
		FROM n JOIN ranked r ON r.k = CASE WHEN i <= 300 THEN 0 WHEN i <= 5150 THEN 1 ELSE 2 END"
}

mb() { echo "$(($1 / 1024)) MB"; }
less() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f× less", b / a }'; }

one=$(measure 1 0)
two=$(measure 2 0)
two_separate=$(measure 2 0 TANDEM_SEPARATE_WEB_PROCESSES=1)
one_default=$(measure 1 0 WEBKIT_DISABLE_DMABUF_RENDERER=0)
big=$(measure 1 10000)
big_all=$(measure 1 10000 TANDEM_DRAW_ALL_CARDS=1)
echo "| memory: one instance, one window, PSS of the app and its WebKit processes | ≤ 250 MB | $(mb "$one") | $(mb "$one_default") (WebKit's default renderer) | $(less "$one" "$one_default") |"
echo "| memory: each further window | ≤ +80 MB | +$(mb $((two - one))) | +$(mb $((two_separate - one))) (a web process of its own) | $(less $((two - one)) $((two_separate - one))) |"
echo "| memory: a project of 10,000 cards, one window | ≤ +60 MB | +$(mb $((big - one))) | +$(mb $((big_all - one))) (every card drawn) | $(less $((big - one)) $((big_all - one))) |"
