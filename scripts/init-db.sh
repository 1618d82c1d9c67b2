#!/usr/bin/env bash
# Applies the D1 migrations in migrations/ to the apikeys-pool database.
#   scripts/init-db.sh --local    the local D1 used by `npm run dev:worker` (.wrangler/state)
#   scripts/init-db.sh --remote   the database on Cloudflare (the default, as in the seed's deploy steps)
# Safe to run again: wrangler records applied migrations in the d1_migrations table.
set -euo pipefail

DB_NAME="apikeys-pool"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# WRANGLER overrides the command, e.g. WRANGLER="wrangler" for a global install.
read -r -a WRANGLER <<<"${WRANGLER:-npx --no-install wrangler}"

die() {
  printf 'init-db: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s [--local|--remote]\n' "$0" >&2
  exit 2
}

target="--remote"
case "${1:-}" in
  "") ;;
  --local | --remote) target="$1" ;;
  -h | --help) usage ;;
  *)
    printf 'init-db: unknown option: %s\n' "$1" >&2
    usage
    ;;
esac
[[ $# -le 1 ]] || usage

cd "$ROOT"
[[ -f wrangler.toml ]] || die "wrangler.toml not found in $ROOT"

if [[ "$target" == "--remote" ]]; then
  "${WRANGLER[@]}" whoami --json >/dev/null 2>&1 ||
    die "wrangler is not logged in. Run \`npx wrangler login\` (or set CLOUDFLARE_API_TOKEN), or use --local."
  if grep -Eq '^database_id = "0{8}-0{4}-0{4}-0{4}-0{12}"' wrangler.toml; then
    die "wrangler.toml still has the placeholder database_id. Run scripts/deploy.sh, or create the database with \`npx wrangler d1 create $DB_NAME\` and paste its id into wrangler.toml."
  fi
fi

printf 'init-db: applying migrations to %s (%s)\n' "$DB_NAME" "${target#--}"
# CI=true skips wrangler's confirmation prompt: every migration only adds tables, columns and indexes.
CI=true "${WRANGLER[@]}" d1 migrations apply "$DB_NAME" "$target" ||
  die "applying migrations failed (see wrangler's message above)"
printf 'init-db: done\n'
