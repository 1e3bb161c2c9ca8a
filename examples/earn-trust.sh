#!/usr/bin/env bash
# Earns scribe-agent a promotion proposal under examples/trust-demo.yaml: submits N rung-2 tasks and
# approves each as U0REVIEW1, then (after the policy's 1-minute clean period) one more. The
# proposal then appears in #notes in the Slack emulator, naming the owner; approve it as U0REVIEW1.
#
#   LADDER_POLICY_PATH=examples/trust-demo.yaml scripts/start.sh   # in one terminal
#   bash examples/earn-trust.sh [count]                            # in another
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LADDER_POLICY_PATH=examples/trust-demo.yaml
count="${1:-10}"
run="$(date +%s)"
dir="$(mktemp -d)"
ladder() { node dist/cli/main.js "$@"; }

one() {
  local i="$1" id="demo-${run}-${1}"
  cat > "$dir/$id.json" <<JSON
{
  "taskId": "$id",
  "agent": { "id": "scribe-agent", "model": "claude-sonnet-4-5", "promptVersion": "scribe-v1" },
  "taskClass": "notes",
  "title": "Write note $i",
  "requester": "U0OWNER01",
  "environment": "staging",
  "steps": [{ "action": "file.write", "params": { "path": "notes/note-$i.md", "content": "note $i\n" } }]
}
JSON
  ladder submit "$dir/$id.json" > /dev/null
  # Wait until the task asks for its approval, then give it.
  until ladder status "task/scribe-agent/$id" | grep -q "waiting on"; do sleep 0.5; done
  ladder respond "task/scribe-agent/$id" approve --as U0REVIEW1
}

started="$(date +%s)"
for i in $(seq 1 "$count"); do one "$i"; done
# The clean period (1 minute) must pass before evidence can earn a proposal.
while [ $(( $(date +%s) - started )) -lt 65 ]; do sleep 1; done
one "$((count + 1))"
echo
ladder status scribe-agent
echo
echo "When the proposal above is there, it is also in the emulator's #notes channel: act as U0REVIEW1"
echo "(an approver) and click 'Approve promotion'. Then, as U0ADMIN01: /ladder incident scribe-agent notes"
