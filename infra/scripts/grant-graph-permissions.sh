#!/bin/sh
# Grants the service's managed identity its Microsoft Graph application permissions (app-role assignments on the
# identity's service principal). ARM/Bicep cannot create these, so the Bicep path runs this script: azd runs it as
# the postprovision hook; after `az deployment sub create` run it yourself. Terraform does the same with the
# azuread provider (infra/terraform/graph.tf). Idempotent: permissions already granted are skipped.
#
# The permissions are those of shared/graph/permissions.json, the one list the service, Terraform and the README
# read too (its "purpose" says what each is for).
#
# Usage:  infra/scripts/grant-graph-permissions.sh [<principal object id of the managed identity>]
#         (default: $AZURE_MANAGED_IDENTITY_PRINCIPAL_ID, which azd sets from the Bicep outputs)
#         MMS_EXCHANGE_RBAC=true: mailbox access is granted by Exchange RBAC for Applications instead (scoped to the
#         users who need migration; README.md, Deploy), so the permissions marked exchangeScopable are NOT granted
#         tenant-wide, and existing tenant-wide grants of them are removed (Entra and Exchange grants add up).
# Needs:  Node.js (to read the permission list); the Azure CLI signed in (az login) as someone who may grant app
#         roles: Privileged Role Administrator or Global Administrator (Graph: AppRoleAssignment.ReadWrite.All +
#         Application.Read.All).
set -eu

GRAPH_APP_ID="00000003-0000-0000-c000-000000000000"
GRAPH="https://graph.microsoft.com/v1.0"
script_dir="$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)"
PERMISSIONS_FILE="$script_dir/../../shared/graph/permissions.json"

command -v node >/dev/null 2>&1 || {
  echo "Node.js (node) is required to read $PERMISSIONS_FILE." >&2
  exit 2
}
# One "<name>:<exchangeScopable>" word per permission; a malformed list stops the script before any grant.
PERMISSIONS="$(node -e '
  const list = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).permissions;
  if (!Array.isArray(list) || list.length === 0) throw new Error("no permissions");
  for (const p of list) {
    if (typeof p.name !== "string" || !/^[A-Za-z][A-Za-z0-9.]*$/.test(p.name) || typeof p.exchangeScopable !== "boolean")
      throw new Error("malformed permission: " + JSON.stringify(p));
    console.log(p.name + ":" + p.exchangeScopable);
  }
' "$PERMISSIONS_FILE")" || {
  echo "Could not read the permission list $PERMISSIONS_FILE." >&2
  exit 1
}

principal_id="${1:-${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}}"
if [ -z "$principal_id" ]; then
  echo "Usage: $0 <principal object id of the managed identity> (or set AZURE_MANAGED_IDENTITY_PRINCIPAL_ID)" >&2
  exit 2
fi
case "$principal_id" in
  *[!0-9a-fA-F-]* | "")
    echo "Not an object id: $principal_id" >&2
    exit 2
    ;;
esac

command -v az >/dev/null 2>&1 || {
  echo "The Azure CLI (az) is required." >&2
  exit 2
}

# Microsoft Graph's service principal in this tenant.
graph_sp_id="$(az rest --method GET \
  --url "$GRAPH/servicePrincipals(appId='$GRAPH_APP_ID')?\$select=id" \
  --query id --output tsv)"
if [ -z "$graph_sp_id" ]; then
  echo "Microsoft Graph's service principal was not found in this tenant." >&2
  exit 1
fi

# A managed identity's service principal can take a minute to replicate after it is created.
attempt=0
until az rest --method GET --url "$GRAPH/servicePrincipals/$principal_id?\$select=id" --output none 2>/dev/null; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 12 ]; then
    echo "Service principal $principal_id was not found (is it the identity's principal/object id?)." >&2
    exit 1
  fi
  echo "Waiting for service principal $principal_id to replicate..."
  sleep 10
done

existing="$(az rest --method GET \
  --url "$GRAPH/servicePrincipals/$principal_id/appRoleAssignments?\$top=999" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" --output tsv)"

role_id_of() {
  az rest --method GET \
    --url "$GRAPH/servicePrincipals/$graph_sp_id?\$select=appRoles" \
    --query "appRoles[?value=='$1' && contains(allowedMemberTypes, 'Application')].id | [0]" \
    --output tsv
}

for entry in $PERMISSIONS; do
  permission="${entry%:*}"
  exchange_scopable="${entry##*:}"
  role_id="$(role_id_of "$permission")"
  if [ -z "$role_id" ]; then
    echo "Microsoft Graph has no application permission named $permission." >&2
    exit 1
  fi
  if [ "${MMS_EXCHANGE_RBAC:-false}" = "true" ] && [ "$exchange_scopable" = "true" ]; then
    assignment_id="$(az rest --method GET \
      --url "$GRAPH/servicePrincipals/$principal_id/appRoleAssignments?\$top=999" \
      --query "value[?resourceId=='$graph_sp_id' && appRoleId=='$role_id'].id | [0]" --output tsv)"
    if [ -n "$assignment_id" ]; then
      az rest --method DELETE \
        --url "$GRAPH/servicePrincipals/$principal_id/appRoleAssignments/$assignment_id" --output none
      echo "$permission: tenant-wide grant removed (Exchange RBAC for Applications scopes it)."
    else
      echo "$permission: not granted tenant-wide (Exchange RBAC for Applications scopes it)."
    fi
    continue
  fi
  if printf '%s\n' "$existing" | grep -qixF "$role_id"; then
    echo "$permission: already granted."
    continue
  fi
  az rest --method POST \
    --url "$GRAPH/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" \
    --output none
  echo "$permission: granted."
done

echo "Microsoft Graph permissions are in place for $principal_id."
echo "Next: scope mailbox access with Exchange RBAC for Applications (README.md, Deploy)."
