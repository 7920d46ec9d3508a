#!/bin/sh
# A dated backup of signon's database in BACKUP_DIR (default /var/backups/signon); backups older
# than KEEP_DAYS (default 14) days are deleted. A backup is written under a temporary name and
# renamed when whole, so the directory only ever holds complete ones.
#
#   backup.sh postgresql   pg_dump; the libpq variables say which database: PGHOST, PGPORT,
#                          PGUSER, PGDATABASE, and PGPASSWORD or ~/.pgpass (or peer
#                          authentication, run as the postgres user)
#   backup.sh sqlite       `signon backup`, with the site's settings in the environment
set -eu
dir=${BACKUP_DIR:-/var/backups/signon}
keep=${KEEP_DAYS:-14}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
umask 077
case "${1:-}" in
    postgresql)
        file="$dir/signon-$stamp.dump"
        pg_dump --format=custom --file="$file.part"
        mv "$file.part" "$file"
        pattern='signon-*.dump'
        ;;
    sqlite)
        file="$dir/signon-$stamp.sqlite3"
        signon backup "$file"
        pattern='signon-*.sqlite3'
        ;;
    *)
        echo "usage: $0 postgresql|sqlite" >&2
        exit 2
        ;;
esac
find "$dir" -maxdepth 1 -name "$pattern" -mtime +"$keep" -delete
echo "backup: wrote $file ($(du -h "$file" | cut -f1))"
