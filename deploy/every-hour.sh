#!/bin/sh
# Run a command every hour at a set minute (UTC), for ever: the scheduler of the compose setup for
# the jobs that cannot wait a day. A failed run is logged and the next one comes an hour later.
#
#   every-hour.sh MM COMMAND [ARG ...]     e.g.  every-hour.sh 10 signon send-reminders
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 MM COMMAND [ARG ...]" >&2
    exit 2
fi
minute=$1
shift
case $minute in
    [0-5][0-9]) ;;
    *) echo "every-hour: the minute must be 00 to 59" >&2; exit 2 ;;
esac
sleeper=
trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 0' TERM INT
while :; do
    now=$(date -u +%s)
    next=$(date -u -d "$(date -u -d "@$now" +%Y-%m-%dT%H):$minute:00Z" +%s)
    if [ "$next" -le "$now" ]; then
        next=$((next + 3600))
    fi
    echo "every-hour: next '$*' at $(date -u -d "@$next" '+%Y-%m-%d %H:%M:%S') UTC"
    sleep $((next - now)) &
    sleeper=$!
    wait "$sleeper"
    sleeper=
    "$@"
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "every-hour: '$*' failed (exit status $status); the next try is in an hour" >&2
    fi
done
