# Microsoft Graph application permissions (app roles) for the managed identity's service principal: every
# permission of shared/graph/permissions.json, the one list the service, the Bicep path's grant script and the
# README read too (its "purpose" says what each is for).
# Needs a deployer who may grant app roles (Privileged Role Administrator, or Global Administrator).
# With exchange_rbac_for_mailboxes, the permissions marked exchangeScopable (mailbox access) are left to Exchange
# RBAC for Applications, scoped to the users who need migration (README.md, Deploy, "Scope mailbox access"), and not
# granted tenant-wide here: Entra and Exchange grants add up.

locals {
  microsoft_graph_app_id = "00000003-0000-0000-c000-000000000000"
  graph_permissions      = jsondecode(file("${path.module}/../../shared/graph/permissions.json")).permissions
  graph_app_roles = [
    for p in local.graph_permissions : p.name
    if !(var.exchange_rbac_for_mailboxes && p.exchangeScopable)
  ]
}

data "azuread_service_principal" "microsoft_graph" {
  client_id = local.microsoft_graph_app_id
}

resource "azuread_app_role_assignment" "graph" {
  for_each            = toset(local.graph_app_roles)
  app_role_id         = data.azuread_service_principal.microsoft_graph.app_role_ids[each.value]
  principal_object_id = azurerm_user_assigned_identity.app.principal_id
  resource_object_id  = data.azuread_service_principal.microsoft_graph.object_id
}
