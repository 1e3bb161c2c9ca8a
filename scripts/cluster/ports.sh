# Ports of the local cluster, all bound to 127.0.0.1. Each can be moved with its variable. They sit
# away from the dev server's defaults (7233, 8233), from the ports tests pick (20000-32000) and from the
# kernel's ephemeral range, so a cluster, a dev server and a test run can share one machine.
# config/env.ts keeps the same defaults for the frontend and the UI (LADDER_TEMPORAL=cluster);
# test/config/env.test.ts checks that the two agree.
# shellcheck shell=bash
: "${LADDER_CLUSTER_PG_PORT:=15432}"
: "${LADDER_CLUSTER_FRONTEND_PORT:=17233}"
: "${LADDER_CLUSTER_FRONTEND_HTTP_PORT:=17243}"
: "${LADDER_CLUSTER_HISTORY_PORT:=17234}"
: "${LADDER_CLUSTER_MATCHING_PORT:=17235}"
: "${LADDER_CLUSTER_WORKER_PORT:=17239}"
# Membership (ringpop) ports: each service's gRPC port minus 300, as in Temporal's own sample configs.
: "${LADDER_CLUSTER_FRONTEND_MEMBERSHIP_PORT:=16933}"
: "${LADDER_CLUSTER_HISTORY_MEMBERSHIP_PORT:=16934}"
: "${LADDER_CLUSTER_MATCHING_MEMBERSHIP_PORT:=16935}"
: "${LADDER_CLUSTER_WORKER_MEMBERSHIP_PORT:=16939}"
: "${LADDER_CLUSTER_UI_PORT:=18233}"
export LADDER_CLUSTER_PG_PORT LADDER_CLUSTER_FRONTEND_PORT LADDER_CLUSTER_FRONTEND_HTTP_PORT \
  LADDER_CLUSTER_HISTORY_PORT LADDER_CLUSTER_MATCHING_PORT LADDER_CLUSTER_WORKER_PORT \
  LADDER_CLUSTER_FRONTEND_MEMBERSHIP_PORT LADDER_CLUSTER_HISTORY_MEMBERSHIP_PORT \
  LADDER_CLUSTER_MATCHING_MEMBERSHIP_PORT LADDER_CLUSTER_WORKER_MEMBERSHIP_PORT LADDER_CLUSTER_UI_PORT
