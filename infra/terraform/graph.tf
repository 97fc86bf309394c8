# Microsoft Graph application permissions (app roles) for the managed identity's service principal.
# Needs a deployer who may grant app roles (Privileged Role Administrator, or Global Administrator).
#   User.Read.All                 read users, licences and plans; /users change-notification subscriptions; delta
#   Calendars.ReadWrite           read and update the future meetings each user organizes
#   OnlineMeetings.ReadWrite.All  create Teams meetings when a meeting moves to Teams (with a Teams application
#                                 access policy; see README.md, Deploy)
# Mailbox access can (and should) be narrowed to the users who need migration with Exchange RBAC for Applications
# (README.md, Deploy, "Scope mailbox access").

locals {
  microsoft_graph_app_id = "00000003-0000-0000-c000-000000000000"
  graph_app_roles        = ["User.Read.All", "Calendars.ReadWrite", "OnlineMeetings.ReadWrite.All"]
}

data "azuread_service_principal" "microsoft_graph" {
  client_id = local.microsoft_graph_app_id
}

resource "azuread_app_role_assignment" "graph" {
  # With exchange_rbac_for_calendars, Calendars.ReadWrite comes from Exchange RBAC for Applications, scoped to the
  # users who need migration, instead of this tenant-wide grant (Entra and Exchange grants add up).
  for_each = toset([
    for role in local.graph_app_roles : role
    if !(var.exchange_rbac_for_calendars && role == "Calendars.ReadWrite")
  ])
  app_role_id         = data.azuread_service_principal.microsoft_graph.app_role_ids[each.value]
  principal_object_id = azurerm_user_assigned_identity.app.principal_id
  resource_object_id  = data.azuread_service_principal.microsoft_graph.object_id
}
