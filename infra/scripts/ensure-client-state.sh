#!/bin/sh
# azd preprovision hook: makes sure the azd environment holds GRAPH_CLIENT_STATE, the secret Graph echoes in every
# change notification. Generated once (64 hex characters from a CSPRNG) and then kept, so re-provisioning does not
# rotate it; infra/bicep/main.parameters.json passes it to the graphClientState parameter, and Bicep stores it in
# Key Vault. The app reads it from Key Vault, never from the azd environment.
#
# To rotate on purpose:  azd env set GRAPH_CLIENT_STATE "$(openssl rand -hex 32)" && azd provision
set -eu

current="$(azd env get-value GRAPH_CLIENT_STATE 2>/dev/null || true)"
# `azd env get-value` prints an error message (not a value) when the key is missing.
case "$current" in
  "" | ERROR* | *"not found"*) current="" ;;
esac

if [ -n "$current" ]; then
  echo "GRAPH_CLIENT_STATE is already set in the azd environment; keeping it."
  exit 0
fi

if command -v openssl >/dev/null 2>&1; then
  value="$(openssl rand -hex 32)"
else
  value="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
fi
if [ "${#value}" -ne 64 ]; then
  echo "Could not generate GRAPH_CLIENT_STATE." >&2
  exit 1
fi
azd env set GRAPH_CLIENT_STATE "$value" >/dev/null
echo "Generated GRAPH_CLIENT_STATE and stored it in the azd environment."
