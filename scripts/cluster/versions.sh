# Versions of the Temporal server and UI that the local cluster builds. They match what the dev server
# (Temporal CLI v1.5.1: "Server 1.29.1, UI 2.42.1") embeds, so tests see the same server either way.
# shellcheck shell=bash disable=SC2034 # read by the scripts that source this file
TEMPORAL_SERVER_MODULE=go.temporal.io/server
TEMPORAL_SERVER_VERSION=v1.29.1
TEMPORAL_UI_MODULE=github.com/temporalio/ui-server/v2
TEMPORAL_UI_VERSION=v2.42.1
