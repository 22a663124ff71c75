#!/usr/bin/env bash
# Regenerates docs/ops/*.png: a throwaway local stack (its own Temporal dev server,
# `textdesk dev` on other ports, data in a temporary directory), one demo conversation
# (a text in, offered, accepted, answered), then headless Chromium on its Temporal Web
# pages (internal/webshot). Run from the repository root: docs/ops/screenshot.sh
# (HOLD=1 keeps the stack up instead, to look around.)
set -euo pipefail

TEMPORAL_CLI=${TEMPORAL_CLI:-$PWD/bin/temporal}
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
TPORT=${TPORT:-27233} UIPORT=${UIPORT:-28233} APIPORT=${APIPORT:-28080} EMUPORT=${EMUPORT:-28081}
work=$(mktemp -d)
chmod 755 "$work" # Postgres runs as the postgres user when this runs as root
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # url, what
	for _ in $(seq 1 120); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
	echo "$2 did not come up at $1" >&2
	tail -n 20 "$work"/*.log >&2
	exit 1
}

go build -o "$work/textdesk" ./cmd/textdesk
attrs=(--search-attribute ConversationID=Keyword --search-attribute TeamID=Keyword
	--search-attribute ConversationStatus=Keyword --search-attribute NextAction=Keyword
	--search-attribute AssignedAgents=KeywordList)
"$TEMPORAL_CLI" server start-dev --ip 127.0.0.1 --port "$TPORT" --ui-port "$UIPORT" \
	--log-level warn "${attrs[@]}" >"$work/temporal.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$UIPORT/" "Temporal Web"

TEXTDESK_DATA_DIR="$work/data" TEMPORAL_ADDRESS="127.0.0.1:$TPORT" \
	API_ADDR="127.0.0.1:$APIPORT" PUBLIC_URL="http://127.0.0.1:$APIPORT" \
	API_INTERNAL_ADDR="127.0.0.1:$((APIPORT + 1383))" WORKER_METRICS_ADDR="127.0.0.1:$((APIPORT + 1384))" \
	EMULATOR_ADDR="127.0.0.1:$EMUPORT" "$work/textdesk" dev >"$work/dev.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$APIPORT/readyz" "textdesk"
# shellcheck disable=SC1091
source "$work/data/demo.env"

api() { curl -fsS -H "Authorization: Bearer $TEXTDESK_AGENT_TOKEN" -H 'Content-Type: application/json' "$@"; }
api -X PUT "$TEXTDESK_URL/v1/me/presence" -d '{"state":"available"}' >/dev/null
curl -fsS -X POST "$TEXTDESK_EMULATOR_URL/emulator/inbound" -H 'Content-Type: application/json' \
	-d "{\"from\":\"+14155550123\",\"to\":\"$TEXTDESK_DEMO_NUMBER\",\"body\":\"Hi, is my order ready?\"}" >/dev/null
conv=""
for _ in $(seq 1 60); do
	conv=$(api "$TEXTDESK_URL/v1/me/offers" | sed -n 's/.*"conversation_id":"\([^"]*\)".*/\1/p')
	[ -n "$conv" ] && break
	sleep 0.5
done
[ -n "$conv" ] || { echo "no offer arrived" >&2; exit 1; }
api -X POST "$TEXTDESK_URL/v1/conversations/$conv/accept" >/dev/null
api -X POST "$TEXTDESK_URL/v1/conversations/$conv/messages" -d '{"body":"Yes, it is ready for pickup."}' >/dev/null
for _ in $(seq 1 60); do # the reply delivered: its send and callbacks are in the history
	api "$TEXTDESK_URL/v1/conversations/$conv" | grep -q '"status":"delivered"' && break
	sleep 0.5
done

go build -o "$work/webshot" ./internal/webshot
export CHROMIUM
ui="http://127.0.0.1:$UIPORT/namespaces/default"
if [ -n "${HOLD:-}" ]; then # keep the stack up to look around; Ctrl-C stops it
	echo "$ui/workflows/conversation-$conv"
	wait "${pids[@]}"
fi
"$work/webshot" -url "$ui/workflows/conversation-$conv" -click "User Metadata" -wait "inbound text" \
	-height 1150 -out docs/ops/temporal-web-conversation.png
"$work/webshot" -url "$ui/workflows?query=$(printf 'ConversationStatus="active"' | jq -sRr @uri)" -wait "conversation-" \
	-height 420 -out docs/ops/temporal-web-list.png
echo "conversation $conv; screenshots in docs/ops/"
