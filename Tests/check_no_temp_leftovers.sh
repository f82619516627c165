#!/usr/bin/env bash
# Usage: Tests/check_no_temp_leftovers.sh COMMAND [ARGUMENT...]
#
# Runs a test command with TMPDIR set to a fresh, empty directory, then fails if the command left
# anything there, so that the rule "tests clean up after themselves" keeps holding. The directory is
# removed afterwards either way. Exits with the command's own status if it failed, else 1 when
# something was left behind, else 0. `make test` runs both test suites through it.
#
# Not counted as leftovers, because SwiftPM itself makes them and we cannot stop it: every
# `swift test` (even one that runs no test at all, e.g. `--filter` matching nothing, or
# `swift package describe`) leaves empty lock files named after the paths it locks
# (`_work_..._.build.lock`, `_root_.swiftpm.lock`, ...) and `TemporaryDirectory.XXXXXX` folders
# holding only an empty `.keep-directory` file. The test processes themselves must leave nothing.
set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGUMENT...]" >&2
    exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/unargmax-test-tmp.XXXXXX") || exit 2
trap 'rm -rf -- "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TMPDIR=$scratch "$@"
status=$?

# Only an empty file: SwiftPM's `.keep-directory` marker.
only_keep_marker() {
    local entries
    entries=$(ls -A -- "$1") || return 1
    [ -z "$entries" ] || { [ "$entries" = .keep-directory ] && [ -f "$1/.keep-directory" ] && [ ! -s "$1/.keep-directory" ]; }
}

shopt -s nullglob dotglob
leftovers=()
for entry in "$scratch"/*; do
    name=${entry##*/}
    case $name in
        *.lock)
            if [ -f "$entry" ] && [ ! -L "$entry" ] && [ ! -s "$entry" ]; then continue; fi
            ;;
        TemporaryDirectory.??????)
            if [ -d "$entry" ] && [ ! -L "$entry" ] && only_keep_marker "$entry"; then continue; fi
            ;;
    esac
    leftovers+=("$name")
done

if [ ${#leftovers[@]} -gt 0 ]; then
    echo "error: \`$*\` left ${#leftovers[@]} item(s) in its temporary directory (TMPDIR); tests must remove what they create:" >&2
    printf '  %s\n' "${leftovers[@]}" >&2
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
