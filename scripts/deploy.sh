#!/usr/bin/env bash
# Deploys gemini-key-pool to Cloudflare Workers + D1. Idempotent: every step checks before it acts,
# so running it again after a failure (or to ship an update) is safe.
#   1. checks wrangler is logged in
#   2. creates the D1 database apikeys-pool if it is missing
#   3. writes its database_id into wrangler.toml
#   4. applies migrations remotely
#   5. deploys the Worker (wrangler builds the admin panel first, see [build] in wrangler.toml)
set -euo pipefail

DB_NAME="apikeys-pool"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="$ROOT/wrangler.toml"
# WRANGLER overrides the command, e.g. WRANGLER="wrangler" for a global install.
read -r -a WRANGLER <<<"${WRANGLER:-npx --no-install wrangler}"

die() {
  printf '\ndeploy: error: %s\n' "$*" >&2
  exit 1
}
step() { printf '\n==> %s\n' "$*"; }

cd "$ROOT"
[[ -f "$CONFIG" ]] || die "wrangler.toml not found in $ROOT"
command -v node >/dev/null || die "node is required (Node 20 or later)"

# Prints the uuid of $DB_NAME from `wrangler d1 list --json` on stdin, or nothing.
database_id_from_list() {
  node -e '
    let s = "";
    process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const start = s.indexOf("[");
      if (start < 0) process.exit(3);
      let list;
      try { list = JSON.parse(s.slice(start)); } catch { process.exit(3); }
      const db = list.find((d) => d && d.name === process.argv[1]);
      if (db) process.stdout.write(String(db.uuid ?? db.database_id ?? ""));
    });
  ' "$DB_NAME"
}

list_databases() {
  local out
  out="$("${WRANGLER[@]}" d1 list --json 2>/dev/null)" ||
    die "\`wrangler d1 list\` failed. Check your network and that your account can use D1."
  local id
  id="$(printf '%s' "$out" | database_id_from_list)" ||
    die "could not read the output of \`wrangler d1 list --json\`"
  printf '%s' "$id"
}

step "1/5 Checking wrangler login"
"${WRANGLER[@]}" whoami --json >/dev/null 2>&1 ||
  die "wrangler is not logged in. Run \`npx wrangler login\` (or set CLOUDFLARE_API_TOKEN) and try again."
echo "logged in"

step "2/5 Looking for D1 database $DB_NAME"
db_id="$(list_databases)"
if [[ -n "$db_id" ]]; then
  echo "found $DB_NAME ($db_id)"
else
  echo "not found; creating it"
  "${WRANGLER[@]}" d1 create "$DB_NAME" >/dev/null ||
    die "\`wrangler d1 create $DB_NAME\` failed (see wrangler's message above)"
  db_id="$(list_databases)"
  [[ -n "$db_id" ]] || die "created $DB_NAME but \`wrangler d1 list\` does not show it yet; run this script again"
  echo "created $DB_NAME ($db_id)"
fi
[[ "$db_id" =~ ^[0-9a-fA-F-]+$ ]] || die "unexpected database id: $db_id"

step "3/5 Writing database_id into wrangler.toml"
grep -Eq '^database_id = ".*"' "$CONFIG" ||
  die "no \`database_id = \"…\"\` line in wrangler.toml; restore the [[d1_databases]] block (binding LOG, database_name $DB_NAME)"
if grep -Fxq "database_id = \"$db_id\"" "$CONFIG"; then
  echo "already set"
else
  tmp="$(mktemp)"
  sed -E "s/^database_id = \".*\"/database_id = \"$db_id\"/" "$CONFIG" >"$tmp"
  cat "$tmp" >"$CONFIG"
  rm -f "$tmp"
  grep -Fxq "database_id = \"$db_id\"" "$CONFIG" || die "could not write database_id into wrangler.toml"
  echo "set database_id = \"$db_id\""
fi

step "4/5 Applying migrations to the remote database"
# CI=true skips wrangler's confirmation prompt: every migration only adds tables, columns and indexes.
CI=true "${WRANGLER[@]}" d1 migrations apply "$DB_NAME" --remote ||
  die "applying migrations failed (see wrangler's message above); nothing was deployed"

step "5/5 Deploying the Worker"
"${WRANGLER[@]}" deploy || die "\`wrangler deploy\` failed (see wrangler's message above)"

if ! "${WRANGLER[@]}" secret list 2>/dev/null | grep -q '"ADMIN_TOKEN"'; then
  printf '\nNext: set the admin token, or the admin API and panel answer 503:\n  npx wrangler secret put ADMIN_TOKEN\n'
fi
printf '\nDone.\n'
