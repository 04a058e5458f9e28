#!/bin/sh
# Seeds for `make fuzz`, from the shipped schema, the examples and their migrations: written to
# fuzz/corpus/<target>/ (git ignores it) and grown there by each run.
set -eu
cd "$(dirname "$0")/.."
out=fuzz/corpus
mkdir -p "$out/load_yaml" "$out/lexer" "$out/column_type"
for dir in schema examples/*/schema; do
    tag=$(printf '%s' "$dir" | tr '/' '_')
    for file in "$dir"/tables/*.yaml "$dir"/views/*.yaml; do
        [ -f "$file" ] || continue
        # The project file, the separator the target splits on, one object file.
        { cat "$dir/schema.yaml"; printf '\n---8<---\n'; cat "$file"; } >"$out/load_yaml/${tag}_$(basename "$file" .yaml)"
        grep -o 'type: [^,}]*' "$file" | sed 's/^type: //' | while read -r ty; do
            printf '%s' "$ty" >"$out/column_type/$(printf '%s' "$ty" | cksum | cut -d' ' -f1)"
        done
    done
done
for file in migrations/*/*.sql examples/*/migrations/*/*.sql; do
    cp "$file" "$out/lexer/$(printf '%s' "$file" | tr '/' '_')"
done
echo "seeds: $(ls "$out/load_yaml" | wc -l) projects, $(ls "$out/lexer" | wc -l) SQL files, $(ls "$out/column_type" | wc -l) types"
