#!/usr/bin/env bash
# Lists the functions longer than a limit (default 80 lines), longest first, in the given folders (default: src analyses).
# Measures with pmccabe (Debian package `pmccabe`, installed by scripts/install-deps.sh): its column 5 is a function's
# line count. Usage: scripts/function-lengths.sh [--limit N] [FOLDER...]; exit status 1 when any function is over the limit.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=80
if [ "${1:-}" = "--limit" ]; then
  limit="${2:?--limit needs a number}"
  shift 2
fi
[ $# -gt 0 ] || set -- src analyses
command -v pmccabe >/dev/null || { echo "function-lengths: pmccabe not found; run scripts/install-deps.sh (Debian package pmccabe)" >&2; exit 2; }
files=$(find "$@" -name '*.cpp' -o -name '*.hpp' | sort)
[ -n "$files" ] || { echo "function-lengths: no .cpp/.hpp files under $*" >&2; exit 2; }
# pmccabe: modified McCabe, McCabe, statements, first line, lines, "file(line): function"
over=$(pmccabe $files 2>/dev/null | awk -F'\t' -v limit="$limit" '$5 > limit { print $5 "\t" $6 }' | sort -rn)
if [ -z "$over" ]; then
  echo "function-lengths: no function over $limit lines in $*"
  exit 0
fi
echo "function-lengths: functions over $limit lines in $* (lines, where):"
echo "$over"
exit 1
