#!/usr/bin/env bash
# The desktop session of one end-to-end test, run inside its private D-Bus session bus: a real
# notification daemon (dunst), a tray host (status-notifier-watcher), a log of every Notify call
# on the bus (dbus-monitor), then the command (the WebDriver server, which starts the app).
# Usage: session.sh <log> <command...>
set -euo pipefail
log=$1
shift
# Other instances of the app join this bus too.
echo "$DBUS_SESSION_BUS_ADDRESS" >"${log%.log}.bus"
dunst >/dev/null 2>&1 &
status-notifier-watcher >/dev/null 2>&1 &
dbus-monitor "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" \
	>"$log" 2>/dev/null &
# The monitor is on the bus once it has written its own greeting.
for _ in $(seq 100); do
	[ -s "$log" ] && break
	sleep 0.05
done
exec "$@"
