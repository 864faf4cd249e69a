#!/usr/bin/env bash
# Fails, listing the files, when any tracked C++ file differs from clang-format's output.
set -uo pipefail
command -v clang-format >/dev/null || { echo "FAIL: clang-format not installed"; exit 1; }
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "FAIL: not a git checkout; the check needs the list of tracked files"
  exit 1
fi
bad=()
while IFS= read -r -d '' file; do
  clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done < <(git ls-files -z '*.cc' '*.h')
if [ ${#bad[@]} -gt 0 ]; then
  echo "Not clang-formatted (run: make format):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "clang-format: all $(git ls-files '*.cc' '*.h' | wc -l) files formatted"
