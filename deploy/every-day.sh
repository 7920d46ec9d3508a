#!/bin/sh
# Run a command every day at a set UTC time, for ever: the scheduler of the compose setup, which
# needs no cron daemon in the image. A failed run is logged and the next one comes the next day.
#
#   every-day.sh HH:MM COMMAND [ARG ...]     e.g.  every-day.sh 07:00 signon send-digests
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 HH:MM COMMAND [ARG ...]" >&2
    exit 2
fi
at=$1
shift
date -u -d "today $at" +%s >/dev/null || exit 2
sleeper=
trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 0' TERM INT
while :; do
    now=$(date -u +%s)
    next=$(date -u -d "today $at" +%s)
    if [ "$next" -le "$now" ]; then
        next=$(date -u -d "tomorrow $at" +%s)
    fi
    echo "every-day: next '$*' at $(date -u -d "@$next" '+%Y-%m-%d %H:%M:%S') UTC"
    sleep $((next - now)) &
    sleeper=$!
    wait "$sleeper"
    sleeper=
    "$@"
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "every-day: '$*' failed (exit status $status); the next try is tomorrow" >&2
    fi
done
