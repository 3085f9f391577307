#!/bin/sh
# Wait until the target's deployment is Ready (the reroute is offered), then reroute with a reason and wait for
# AWS's answer. Needs curl and jq. Exits non-zero when the API refuses a call or AWS does not confirm the reroute.
#   DASHBOARD_URL=https://dashboard.example.com DASHBOARD_TOKEN=bgd_… TARGET=3 REASON="smoke tests passed" \
#     sh reroute-when-ready.sh
set -eu
: "${DASHBOARD_URL:?}" "${DASHBOARD_TOKEN:?an operate token, from API tokens in your menu}" "${TARGET:?a target id}"
REASON=${REASON:-"rerouted from a script"}
POLL_SECONDS=${POLL_SECONDS:-5}
# The header goes to curl on its standard input (printf is the shell's own), so the token is never in `ps`.
api() { printf 'Authorization: Bearer %s\n' "$DASHBOARD_TOKEN" | curl --silent --show-error --fail -H @- "$@"; }

echo "Waiting for target $TARGET's deployment to be Ready…"
while :; do
  offered=$(api "$DASHBOARD_URL/api/targets/$TARGET/actions")
  deployment=$(echo "$offered" | jq --raw-output '.actions[] | select(.kind == "reroute") | .params.deployment_id')
  [ -n "$deployment" ] && break
  sleep "$POLL_SECONDS"
done

echo "Rerouting $deployment: $REASON"
body=$(jq --null-input --arg reason "$REASON" --arg id "$deployment" '{reason: $reason, deployment_id: $id}')
action=$(api -H "Content-Type: application/json" --data "$body" "$DASHBOARD_URL/api/targets/$TARGET/actions/reroute")
status_url=$DASHBOARD_URL$(echo "$action" | jq --raw-output .status_url)

while :; do
  answer=$(api "$status_url")
  [ "$(echo "$answer" | jq .is_open)" = false ] && break
  sleep 1
done
echo "$answer" | jq --raw-output '"Reroute \(.status)" + (if .error then ": \(.error.code) \(.error.message)" else "" end)'
[ "$(echo "$answer" | jq --raw-output .status)" = confirmed ]
