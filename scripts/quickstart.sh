#!/usr/bin/env bash
# One command from a fresh clone to a running service: install, database, demo tenant, api + worker.
# Safe to run again: the database and schema are kept, the demo tenant is reused (with a new key).
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci
npm run build

# mp3 is encoded by the system's LAME when it opens (Debian: libmp3lame0), else by LAME in WebAssembly.
source scripts/debian-packages.sh
lame_opens || debian_install libmp3lame0 || echo "note: mp3 will be encoded by LAME in WebAssembly (the same bytes, at about 1.5× the CPU)." >&2

cli() { node dist/src/cli.js "$@"; }

cli db create
cli db migrate

if ! cli voices install sauti-swahili-v1; then
  echo "note: the Swahili VITS voice could not be downloaded here; sauti-swahili-v1 is served by the eSpeak NG fallback until 'npm run cli -- voices install sauti-swahili-v1' succeeds." >&2
fi

demo_id=$(cli tenants list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).tenants.find(t=>t.name==="demo");process.stdout.write(t?t.id:"")})')
if [ -z "$demo_id" ]; then
  key=$(cli tenants create --name demo --credits 1000000 --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).apiKey))')
else
  key=$(cli keys create --tenant "$demo_id" --name quickstart --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).apiKey))')
fi

# An admin key for the ops dashboard; --replace revokes the one an earlier quickstart printed.
admin_key=$(cli admin-keys create --name quickstart --replace --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).adminKey))')

port=${PORT:-3000}
cat <<MSG

  Demo tenant API key (shown once): $key

  Ops dashboard: http://localhost:$port/dashboard
  Admin key to sign in with (shown once): $admin_key

  Try it:
    curl -s http://localhost:$port/health/ready
    curl -s -X POST http://localhost:$port/v1/text-to-speech/sauti-swahili-v1 \\
      -H "xi-api-key: $key" -H "Content-Type: application/json" \\
      -d '{"text": "Habari za asubuhi."}'

  Starting api (port $port) and worker. Ctrl-C stops both.

MSG
exec node scripts/start-all.js
