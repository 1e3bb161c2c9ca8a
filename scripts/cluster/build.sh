#!/usr/bin/env bash
# Builds the Temporal server, its SQL schema tool and the Temporal UI server from Go modules, once.
# Both the server and the UI server are `cmd/server` packages, so `go install` would name both
# `server`; each is installed into its own scratch GOBIN and moved to a name that says what it is.
# A binary that already reports the wanted version is kept: the builds take minutes on 2 cores.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"

BIN_DIR="${LADDER_CLUSTER_BIN_DIR:?LADDER_CLUSTER_BIN_DIR must be set (run through scripts/cluster.sh)}"
mkdir -p "$BIN_DIR"

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else
    echo "cluster: Go is needed to build the Temporal server (go install $TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION); install Go >= 1.24" >&2
    return 1
  fi
}

# has_version BINARY VERSION: true when BINARY exists and its --version output names VERSION.
has_version() {
  [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q -- "${2#v}"
}

# build_one PACKAGE@VERSION TARGET_NAME
build_one() {
  local pkg="$1" target="$BIN_DIR/$2" scratch
  scratch="$(mktemp -d "$BIN_DIR/.build.XXXXXX")"
  echo "cluster: building $pkg into $target (first time only; minutes on 2 cores)…" >&2
  local start=$SECONDS
  GOBIN="$scratch" GOFLAGS="${GOFLAGS:--buildvcs=false}" "$GO" install "$pkg"
  local built
  built="$(find "$scratch" -maxdepth 1 -type f -perm -u+x | head -n 1)"
  if [ -z "$built" ]; then
    echo "cluster: go install $pkg produced no binary in $scratch" >&2
    rm -rf "$scratch"
    return 1
  fi
  mv -f "$built" "$target"
  rm -rf "$scratch"
  echo "cluster: built $target in $((SECONDS - start)) s" >&2
}

GO="$(find_go)"
if ! has_version "$BIN_DIR/temporal-server" "$TEMPORAL_SERVER_VERSION"; then
  build_one "$TEMPORAL_SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" temporal-server
fi
if ! has_version "$BIN_DIR/temporal-sql-tool" "$TEMPORAL_SERVER_VERSION"; then
  build_one "$TEMPORAL_SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" temporal-sql-tool
fi
if ! has_version "$BIN_DIR/temporal-ui-server" "$TEMPORAL_UI_VERSION"; then
  build_one "$TEMPORAL_UI_MODULE/cmd/server@$TEMPORAL_UI_VERSION" temporal-ui-server
fi
