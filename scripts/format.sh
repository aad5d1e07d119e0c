#!/usr/bin/env bash
# The C++ layout of .clang-format on every tracked .cpp/.hpp (issue 16: "a .clang-format with a
# format check in CI").
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   list the files that differ and exit 1 (CI runs this)
# Needs clang-format 14 (Debian 12's clang-format; setup.sh installs it): another major version
# formats some constructs differently, so the check refuses to judge with one.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
if ! command -v "$fmt" >/dev/null; then
  echo "format.sh: $fmt not found (apt-get install clang-format)" >&2
  exit 2
fi
major=$("$fmt" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [[ "$major" != 14 ]]; then
  echo "format.sh: $fmt is version $major; the layout is checked with clang-format 14" >&2
  exit 2
fi
# The tracked sources; in a copy without git, the sources outside build and fuzzing folders.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t files < <(find . \( -path './build*' -o -path './fuzz-out*' -o -path './.git' \) -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print | sed 's|^\./||' | sort)
fi
if [[ "${1:-}" == "--check" ]]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$fmt" --style=file "$f" | cmp -s - "$f"; then
      echo "not formatted: $f (scripts/format.sh rewrites it)"
      bad=1
    fi
  done
  [[ $bad == 0 ]] && echo "format.sh: ${#files[@]} files follow .clang-format"
  exit $bad
fi
"$fmt" --style=file -i "${files[@]}"
