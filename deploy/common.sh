# Shared by install.sh and uninstall.sh, sourced after their options are parsed: checks the
# target (ROOT, DRY_RUN and die() come from the caller) and defines run() and host().

if [ -n "$ROOT" ]; then
    [ -d "$ROOT" ] || die "--root $ROOT: not a directory"
    ROOT="$(cd "$ROOT" && pwd)"
elif [ "$DRY_RUN" = 0 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo), or with --dry-run / --root DIR"
fi

# run CMD...: print and run (only print in a dry run).
run() {
    printf '+'; printf ' %q' "$@"; printf '\n'
    if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

# host CMD...: an action on the host system itself (packages, users, systemd, ownership):
# skipped under --root, where it would change the machine instead of the throw-away root.
host() {
    if [ -n "$ROOT" ]; then
        printf 'skip (--root, host action):'; printf ' %q' "$@"; printf '\n'
    else
        run "$@"
    fi
}
