#!/bin/sh
# A dated backup of signon's database, and of its uploaded logos, in BACKUP_DIR (default
# /var/backups/signon); backups older than KEEP_DAYS (default 14) days are deleted. A backup is
# written under a temporary name and renamed when whole, so the directory only ever holds complete
# ones.
#
#   backup.sh postgresql   pg_dump; the libpq variables say which database: PGHOST, PGPORT,
#                          PGUSER, PGDATABASE, and PGPASSWORD or ~/.pgpass (or peer
#                          authentication, run as the postgres user)
#   backup.sh sqlite       `signon backup`, with the site's settings in the environment
#   backup.sh uploads      the uploaded logos alone
#
# Whenever SIGNON_UPLOAD_DIR names a directory, its files are archived too, as
# signon-uploads-<time>.tar.gz: the logo table names them, so a database restored without them
# shows no logos.
set -eu
dir=${BACKUP_DIR:-/var/backups/signon}
keep=${KEEP_DAYS:-14}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
umask 077

written() {
    echo "backup: wrote $1 ($(du -h "$1" | cut -f1))"
}

case "${1:-}" in
    postgresql)
        file="$dir/signon-$stamp.dump"
        pg_dump --format=custom --file="$file.part"
        mv "$file.part" "$file"
        find "$dir" -maxdepth 1 -name 'signon-*.dump' -mtime +"$keep" -delete
        written "$file"
        ;;
    sqlite)
        file="$dir/signon-$stamp.sqlite3"
        signon backup "$file"
        find "$dir" -maxdepth 1 -name 'signon-*.sqlite3' -mtime +"$keep" -delete
        written "$file"
        ;;
    uploads)
        if [ ! -d "${SIGNON_UPLOAD_DIR:-}" ]; then
            echo "backup: SIGNON_UPLOAD_DIR does not name a directory" >&2
            exit 2
        fi
        ;;
    *)
        echo "usage: $0 postgresql|sqlite|uploads" >&2
        exit 2
        ;;
esac

if [ -d "${SIGNON_UPLOAD_DIR:-}" ]; then
    archive="$dir/signon-uploads-$stamp.tar.gz"
    tar -C "$SIGNON_UPLOAD_DIR" -czf "$archive.part" .
    mv "$archive.part" "$archive"
    find "$dir" -maxdepth 1 -name 'signon-uploads-*.tar.gz' -mtime +"$keep" -delete
    written "$archive"
fi
