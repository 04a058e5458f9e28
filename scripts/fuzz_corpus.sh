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
# Every operator character before a comment, where the server ends the operator (`1 >-- '`):
# as SQL, and in a view body, a default, a derived column and a check.
project='name: fuzz
namespace: fuzz
dialects: [postgres, redshift]'
for op in '+' '-' '*' '/' '<' '>' '=' '~' '!' '@' '#' '%' '^' '&' '|' '`' '?' '>=' '->' '||' '&&' '<<' '>>'; do
    tag=$(printf '%s' "$op" | od -An -tx1 | tr -d ' \n')
    for kind in line block; do
        comment='--' && [ "$kind" = block ] && comment='/*'
        hidden="1 $op$comment '\n0) ; DROP TABLE victim; SELECT (1 $op$comment '\n+ 0"
        printf "SELECT 1 WHERE 1 %s%s '\n0; DROP TABLE victim; SELECT 1 WHERE 1 %s%s '\n+ 0\n" "$op" "$comment" "$op" "$comment" \
            >"$out/lexer/operator_${tag}_$kind"
        for field in default derived; do
            printf '%s\n---8<---\ntable: t\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: c, type: integer, %s: "%s" }\n' \
                "$project" "$field" "$hidden" >"$out/load_yaml/operator_${tag}_${field}_$kind"
        done
        printf '%s\n---8<---\ntable: t\ncolumns:\n  - { name: id, type: integer }\nchecks:\n  - { name: k, condition: "%s" }\n' \
            "$project" "$hidden" >"$out/load_yaml/operator_${tag}_check_$kind"
        printf '%s\n---8<---\nview: v\nsql: "SELECT 1 AS a WHERE %s"\n' "$project" "$hidden" >"$out/load_yaml/operator_${tag}_view_$kind"
    done
done
echo "seeds: $(ls "$out/load_yaml" | wc -l) projects, $(ls "$out/lexer" | wc -l) SQL files, $(ls "$out/column_type" | wc -l) types"
