# Role assignments, one per role and scope, least privilege; the same as in infra/bicep/resources.bicep.
# Built-in role definition ids (azure-facts §6). Only these roles are ever assigned.
locals {
  roles = {
    service_bus_data_sender        = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
    service_bus_data_receiver      = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"
    storage_blob_data_owner        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    storage_table_data_contributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
    key_vault_secrets_user         = "4633458b-17de-408a-b874-0445c86b69e6"
    monitoring_metrics_publisher   = "3913510d-42f4-4e42-8a64-420c390055eb"
  }
  role_definition_prefix = "${data.azurerm_subscription.current.id}/providers/Microsoft.Authorization/roleDefinitions"
}

# Host storage (AzureWebJobsStorage) and the Flex deployment container: the host creates its own containers and
# takes blob leases, which needs Owner on the account. No Storage Queue Data Contributor: the app has no queue or
# blob trigger and no Durable Functions, so the host never touches storage queues.
resource "azurerm_role_assignment" "storage_blob_data_owner" {
  scope              = azurerm_storage_account.main.id
  role_definition_id = "${local.role_definition_prefix}/${local.roles.storage_blob_data_owner}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# The service's tables: it creates them at first use, so the role is on the account (not on a table).
resource "azurerm_role_assignment" "storage_table_data_contributor" {
  scope              = azurerm_storage_account.main.id
  role_definition_id = "${local.role_definition_prefix}/${local.roles.storage_table_data_contributor}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Sender and Receiver on the namespace, which holds only this service's two queues; the app sends to and receives
# from both. No Data Owner: the app never manages entities.
resource "azurerm_role_assignment" "service_bus_data_sender" {
  scope              = azurerm_servicebus_namespace.main.id
  role_definition_id = "${local.role_definition_prefix}/${local.roles.service_bus_data_sender}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "service_bus_data_receiver" {
  scope              = azurerm_servicebus_namespace.main.id
  role_definition_id = "${local.role_definition_prefix}/${local.roles.service_bus_data_receiver}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Read one secret, not the whole vault.
resource "azurerm_role_assignment" "key_vault_secrets_user" {
  scope              = azapi_resource.graph_client_state.id
  role_definition_id = "${local.role_definition_prefix}/${local.roles.key_vault_secrets_user}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# Entra-authenticated telemetry ingestion.
resource "azurerm_role_assignment" "monitoring_metrics_publisher" {
  scope              = azurerm_application_insights.main.id
  role_definition_id = "${local.role_definition_prefix}/${local.roles.monitoring_metrics_publisher}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}
