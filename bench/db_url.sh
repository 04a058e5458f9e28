# db_url NAME: the URL of database NAME on the server of $server (the URL `schema local start`
# prints), keeping its query string (`?passfile=...`, whose path holds slashes).
db_url() {
    local base=${server%%\?*}
    echo "${base%/*}/$1${server#"$base"}"
}

# db_name URL: the database a URL names (its path, without the query string).
db_name() {
    local base=${1%%\?*}
    echo "${base##*/}"
}
