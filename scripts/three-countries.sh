#!/usr/bin/env bash
# Three Entente nodes on loopback ports: two countries (Arland, Borduria) and a coordinator (an
# international organisation). Each country peers with the coordinator and with the other country,
# signs an agreement with the coordinator only (Arland's lets the coordinator relay onwards, up to
# AMBER; Borduria's does not), shares objects at each TLP 2.0 level with named recipients (Entente's
# recipients extension, `recipient_refs`), syncs twice round, and prints what each node can see.
#
# What leaves a node is decided by the policy engine (src/core/policy/decide.ts) under the agreements:
# see docs/federation.md. Arland and Borduria are peered but have no agreement: only CLEAR goes between them.
#
#   scripts/three-countries.sh            # temporary data directories, removed at the end
#   KEEP=1 scripts/three-countries.sh     # keep them (printed) to look around
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="node bin/entente.js"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/entente-3c-XXXXXX")
BASE=${BASE_PORT:-18480}
NAMES=(arland borduria coordinator)
declare -A PORT=([arland]=$BASE [borduria]=$((BASE + 1)) [coordinator]=$((BASE + 2)))
declare -A ORG=([arland]="Arland Electoral Commission" [borduria]="Borduria CERT" [coordinator]="Regional Election Observatory")
declare -A TOKEN PIDS
GREEN=marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb
CLEAR=marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487
AMBER=marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421
STRICT=marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003
RED=marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1

cleanup() {
  for n in "${NAMES[@]}"; do [ -n "${PIDS[$n]:-}" ] && kill "${PIDS[$n]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$DIR"; else echo "data kept in $DIR"; fi
}
trap cleanup EXIT

ent() { # ent <node> args…
  local n=$1; shift
  ENTENTE_HTTP__PORT=${PORT[$n]} ENTENTE_NODE__NAME=$n ENTENTE_FEDERATION__ENABLED=false $BIN "$@" --data "$DIR/$n"
}
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v[k];console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }

echo "== creating three nodes in $DIR"
for n in "${NAMES[@]}"; do
  TOKEN[$n]=$(ent "$n" init --org "${ORG[$n]}" --json | field token.secret)
  ENTENTE_HTTP__PORT=${PORT[$n]} ENTENTE_NODE__NAME=$n ENTENTE_FEDERATION__ENABLED=false ENTENTE_LOG__LEVEL=warn \
    $BIN serve --data "$DIR/$n" >"$DIR/$n.log" 2>&1 &
  PIDS[$n]=$!
done
for n in "${NAMES[@]}"; do
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:${PORT[$n]}/healthz" >/dev/null && break; sleep 0.5; done
  echo "   $n on http://127.0.0.1:${PORT[$n]}"
done

peer() { # peer <inviter> <invitee>
  local a=$1 b=$2
  local inv fpa fpb
  inv=$(ent "$a" peer invite --name "$b" --json)
  fpa=$(echo "$inv" | field fingerprint)
  fpb=$(ent "$b" peer invite --json | field fingerprint)   # b's own fingerprint, read out to a's administrator
  ent "$b" peer accept "$(echo "$inv" | field invitation)" --name "$a" --json >/dev/null
  ent "$a" peer approve "$b" --fingerprint "$fpb" --json >/dev/null
  ent "$b" peer approve "$a" --fingerprint "$fpa" --json >/dev/null
  echo "   $a <-> $b  (fingerprints $fpa / $fpb compared and approved)"
}
echo "== peering (invitation, accept, fingerprints compared, approve)"
peer coordinator arland
peer coordinator borduria
peer arland borduria

hand() { # hand <from> <to> <agreement id>: export the signed agreement and import it on the other node
  ent "$1" agreement export "$3" >"$DIR/$3.json"
  ent "$2" agreement import "$DIR/$3.json" --json >/dev/null
}
agree() { # agree <proposer> <acceptor> <peer name of the acceptor on the proposer> terms…
  local a=$1 b=$2 p=$3; shift 3
  local id
  id=$(ent "$a" agreement propose --peer "$p" --purpose "Election security exchange, $a and $b" "$@" --json | field agreement.id)
  hand "$a" "$b" "$id"
  ent "$b" agreement accept "$id" --json >/dev/null
  hand "$b" "$a" "$id"
  echo "   $a -> $b  $id  ($*)"
}
echo "== agreements (proposed, exported, imported, accepted, handed back)"
agree arland coordinator coordinator --max-tlp red --onward any --onward-max-tlp amber
agree borduria coordinator coordinator --max-tlp amber+strict --onward no
echo "   arland <-> borduria: peered, no agreement (only TLP:CLEAR goes between them)"

identity() { ent "$1" org list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s).find(x=>x.name===process.argv[1]);console.log(o.identityId)})' "${ORG[$1]}"; }

share() { # share <node> <label> <marking> [recipient identity]
  local n=$1 label=$2 marking=$3 rcpt=${4:-}
  local id; id="indicator--$(node -e 'console.log(crypto.randomUUID())')"
  local extra=""; [ -n "$rcpt" ] && extra=",\"extensions\":{\"extension-definition--f50dec98-058e-4376-84c5-82d4bfdff0fe\":{\"extension_type\":\"property-extension\",\"recipient_refs\":[\"$rcpt\"]}}"
  local now; now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  curl -sf -X POST "http://127.0.0.1:${PORT[$n]}/taxii2/api/collections/default/objects/" \
    -H "Authorization: Bearer ${TOKEN[$n]}" -H 'Accept: application/taxii+json;version=2.1' -H 'Content-Type: application/taxii+json;version=2.1' \
    --data "{\"objects\":[{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"$id\",\"created\":\"$now\",\"modified\":\"$now\",\"name\":\"$label\",\"pattern\":\"[domain-name:value = '$label.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"$now\",\"object_marking_refs\":[\"$marking\"]$extra}]}" >/dev/null
}
echo "== sharing indicators at each TLP level from each country"
ARLAND_ID=$(identity arland)
BORDURIA_ID=$(identity borduria)
COORD_ID=$(identity coordinator)
for n in arland borduria; do
  share "$n" "$n-clear" "$CLEAR"
  share "$n" "$n-green" "$GREEN"
  share "$n" "$n-amber-no-recipient" "$AMBER"
  share "$n" "$n-amber-strict-for-coordinator" "$STRICT" "$COORD_ID"
  share "$n" "$n-red-for-coordinator" "$RED" "$COORD_ID"
done
share arland arland-amber-for-borduria-and-coordinator "$AMBER" "$BORDURIA_ID\",\"$COORD_ID"   # two recipients
share arland arland-red-for-borduria "$RED" "$BORDURIA_ID"
share borduria borduria-amber-for-arland "$AMBER" "$ARLAND_ID"

echo "== syncing (twice round, so the coordinator relays what it received)"
for _ in 1 2; do
  for n in "${NAMES[@]}"; do
    for p in $(ent "$n" peer list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).map(p=>p.name).join(" ")))'); do
      ent "$n" peer sync "$p" --json >/dev/null
    done
  done
done

echo "== what each node can see (every collection, as its administrator)"
for n in "${NAMES[@]}"; do
  echo "-- $n"
  for c in $(curl -sf "http://127.0.0.1:${PORT[$n]}/taxii2/api/collections/" -H "Authorization: Bearer ${TOKEN[$n]}" -H 'Accept: application/taxii+json;version=2.1' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).collections??[]).map(c=>c.alias??c.id).join(" ")))'); do
    names=$(curl -sf "http://127.0.0.1:${PORT[$n]}/taxii2/api/collections/$c/objects/?limit=1000" -H "Authorization: Bearer ${TOKEN[$n]}" -H 'Accept: application/taxii+json;version=2.1' \
      | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).objects??[]).map(o=>o.name).sort().join(", ")))')
    printf '   %-16s %s\n' "$c" "${names:-(empty)}"
  done
done
echo "== agreements"
for n in "${NAMES[@]}"; do ent "$n" agreement list | sed "s/^/   [$n] /"; done
echo "== peer status"
for n in "${NAMES[@]}"; do ent "$n" peer list | sed "s/^/   [$n] /"; done
cat <<'EXPECT'
== what to expect in the from-… collections
   coordinator  from Arland: clear, green, amber (no recipient: Arland's agreement partners),
                amber-for-borduria-and-coordinator, amber+strict and red naming the coordinator; not
                red-for-borduria (the coordinator is not a recipient).
                From Borduria: clear, green, amber (no recipient), amber+strict naming it; not red (above
                Borduria's highest TLP, amber+strict), not amber-for-arland (Arland is not its partner).
   borduria     from the coordinator: Arland's clear, green, amber, amber-for-borduria-and-coordinator (Arland allows the
                coordinator to relay up to AMBER to any node it has an agreement with); never RED (never
                relayed), not Arland's amber+strict (names the coordinator only).
                From Arland (no agreement): clear only (the same clear object also came through the
                coordinator: stored once).
   arland       from the coordinator: Borduria's clear only (Borduria does not allow onward sharing);
                nothing of its own comes back. From Borduria (no agreement): clear only.
EXPECT
