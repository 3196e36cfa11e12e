#!/usr/bin/env bash
# Builds the DocC documentation of every library target and fails on any
# documentation warning (a broken ``link``, an undocumented parameter, an
# article DocC cannot read) and on any public symbol without a doc comment. Runs offline: docc ships with the Swift toolchain
# and swift-docc-plugin is a package dependency, resolved with the others.
#
#   bash tools/check-docs.sh            # every library product's targets
#   bash tools/check-docs.sh TorchNN    # just these targets
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  targets=("$@")
else
  # The targets of the library products, from `swift package describe`.
  mapfile -t targets < <(swift package describe | awk '
    /^Products:/ { products = 1; next }
    products && /^[^ ]/ { products = 0 }
    products && /^    Name: / { library = 0; listing = 0 }
    products && /^        Library:/ { library = 1 }
    products && /^    Targets:/ { listing = 1; next }
    products && listing && library && /^        [^ ]/ { print $1 }
    products && /^$/ { listing = 0 }
  ' | sort -u)
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "check-docs: found no library target" >&2
  exit 1
fi

arguments=()
for target in "${targets[@]}"; do arguments+=(--target "$target"); done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! swift package generate-documentation "${arguments[@]}" > "$log" 2>&1; then
  cat "$log" >&2
  echo "check-docs: swift package generate-documentation failed" >&2
  exit 1
fi

failed=0
for target in "${targets[@]}"; do
  if ! grep -q "^Finished building documentation for '$target'" "$log"; then
    echo "check-docs: no documentation was built for $target" >&2
    failed=1
  fi
done
# DocC prints each problem as "warning: ..." or "error: ..." at the start of a
# line, followed by where it is; compiler warnings (path:line: warning:) are not counted here.
count=$(grep -cE '^(warning|error): ' "$log" || true)
if [ "$count" -ne 0 ]; then
  grep -E -A4 '^(warning|error): ' "$log" >&2
  echo "check-docs: $count documentation warnings in ${targets[*]}" >&2
  failed=1
fi

# Every public symbol declared in the sources has a doc comment (DocC itself
# does not warn about missing ones). The plugin left each target's symbol graphs
# under .build/<triple>/extracted-symbols/<package>/<target>/.
graphs=()
for target in "${targets[@]}"; do
  found=(.build/*/extracted-symbols/*/"$target"/*.symbols.json)
  if [ ! -e "${found[0]}" ]; then
    echo "check-docs: no symbol graph was extracted for $target" >&2
    failed=1
  else
    graphs+=("${found[@]}")
  fi
done
if [ ${#graphs[@]} -gt 0 ] && ! undocumented="$(swift tools/undocumented-symbols.swift "${graphs[@]}")"; then
  echo "$undocumented" >&2
  echo "check-docs: $(printf '%s\n' "$undocumented" | grep -c .) public symbols without a doc comment" >&2
  failed=1
fi

if [ "$failed" -ne 0 ]; then exit 1; fi
echo "check-docs: documentation of ${targets[*]} builds with no warnings, every public symbol documented"
