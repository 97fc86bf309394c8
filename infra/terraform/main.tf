# Every resource of the Meeting Migration Service, in one resource group; the same as infra/bicep/resources.bicep.
#
# Identity: one user-assigned managed identity. The Function App runs as it and reaches storage, Service Bus,
# Key Vault, Application Insights and Microsoft Graph with it; no account key, SAS or connection string is ever
# issued (shared-key and local auth are disabled on every service that has them).

data "azurerm_subscription" "current" {}

data "azurerm_client_config" "current" {}

locals {
  token = substr(sha1("${data.azurerm_subscription.current.id}/${var.environment_name}/${var.location}"), 0, 13)
  tags = {
    "azd-env-name" = var.environment_name
    application    = "meeting-migration-service"
  }

  # Queue names: identical to QUEUES in shared/queue/port.ts (test/unit/infra checks it).
  meeting_migrations_queue_name = "meeting-migrations"
  directory_changes_queue_name  = "directory-changes"
  # Flex Consumption deployment packages live in this blob container.
  deployment_container_name = "app-package"
  client_state_secret_name  = "graph-client-state"

  names = {
    resource_group = var.resource_group_name != "" ? var.resource_group_name : "rg-${var.environment_name}"
    identity       = "id-mms-${local.token}"
    storage        = substr("stmms${local.token}", 0, 24)
    log_analytics  = "log-mms-${local.token}"
    app_insights   = "appi-mms-${local.token}"
    service_bus    = "sb-mms-${local.token}"
    key_vault      = substr("kv-mms-${local.token}", 0, 24)
    plan           = "plan-mms-${local.token}"
    function_app   = "func-mms-${local.token}"
  }

  # The app's public host name. Computed from the name (the resource cannot reference its own attributes in its
  # app settings); Bicep reads defaultHostName, which is the same for apps without a unique default host name.
  function_app_host = "${local.names.function_app}.azurewebsites.net"
}

resource "azurerm_resource_group" "main" {
  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}

# ------------------------------------------------------------------------------------------------ identity

resource "azurerm_user_assigned_identity" "app" {
  name                = local.names.identity
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  tags                = local.tags
}

# ------------------------------------------------------------------------------------------------ storage
# Holds the host's own blobs (AzureWebJobsStorage: timer schedules, leases, keys), the Flex deployment container,
# and the service's tables (created by the service at first use, named TABLES_PREFIX + logical name).

resource "azurerm_storage_account" "main" {
  name                             = local.names.storage
  resource_group_name              = azurerm_resource_group.main.name
  location                         = var.location
  tags                             = local.tags
  account_kind                     = "StorageV2"
  account_tier                     = "Standard"
  account_replication_type         = "LRS"
  min_tls_version                  = "TLS1_2"
  https_traffic_only_enabled       = true
  allow_nested_items_to_be_public  = false
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  cross_tenant_replication_enabled = false
  public_network_access_enabled    = true
}

resource "azurerm_storage_container" "deployment" {
  name                  = local.deployment_container_name
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# ------------------------------------------------------------------------------------------------ monitoring

resource "azurerm_log_analytics_workspace" "main" {
  name                = local.names.log_analytics
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  tags                = local.tags
  sku                 = "PerGB2018"
  retention_in_days   = 30
}

resource "azurerm_application_insights" "main" {
  name                = local.names.app_insights
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  tags                = local.tags
  application_type    = "web"
  workspace_id        = azurerm_log_analytics_workspace.main.id
  # Ingestion only with an Entra token (the app's identity + Monitoring Metrics Publisher).
  local_authentication_disabled = true
}

# ------------------------------------------------------------------------------------------------ service bus
# Standard tier: sessions and duplicate detection (Basic has neither). SAS keys are disabled.

resource "azurerm_servicebus_namespace" "main" {
  name                = local.names.service_bus
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  tags                = local.tags
  sku                 = "Standard"
  local_auth_enabled  = false
  minimum_tls_version = "1.2"
}

# One message per user migration, session id = the user's object id; see infra/bicep/resources.bicep and
# README.md, Deploy for why these numbers.
resource "azurerm_servicebus_queue" "meeting_migrations" {
  name                                    = local.meeting_migrations_queue_name
  namespace_id                            = azurerm_servicebus_namespace.main.id
  requires_session                        = true
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT1H"
  max_delivery_count                      = 5
  lock_duration                           = "PT5M"
  dead_lettering_on_message_expiration    = true
  default_message_ttl                     = "P14D"
  batched_operations_enabled              = true
}

# Graph change notifications; duplicate detection absorbs Graph's redeliveries (up to 4 hours).
resource "azurerm_servicebus_queue" "directory_changes" {
  name                                    = local.directory_changes_queue_name
  namespace_id                            = azurerm_servicebus_namespace.main.id
  requires_session                        = false
  requires_duplicate_detection            = true
  duplicate_detection_history_time_window = "PT4H"
  max_delivery_count                      = 10
  lock_duration                           = "PT2M"
  dead_lettering_on_message_expiration    = true
  default_message_ttl                     = "P1D"
  batched_operations_enabled              = true
}

# ------------------------------------------------------------------------------------------------ key vault

resource "azurerm_key_vault" "main" {
  name                          = local.names.key_vault
  resource_group_name           = azurerm_resource_group.main.name
  location                      = var.location
  tags                          = local.tags
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  soft_delete_retention_days    = 7
  purge_protection_enabled      = false
  public_network_access_enabled = true
}

# The Graph clientState: generated here, kept in the Terraform state (treat the state as secret) and in Key Vault.
resource "random_password" "graph_client_state" {
  length  = 64
  special = false
}

# Written through the ARM control plane (Microsoft.KeyVault/vaults/secrets), as Bicep does: the deployer needs no
# Key Vault data-plane role, and there is no wait for one to propagate. (azurerm_key_vault_secret would write it
# through the vault's data plane.)
resource "azapi_resource" "graph_client_state" {
  type      = "Microsoft.KeyVault/vaults/secrets@2023-07-01"
  name      = local.client_state_secret_name
  parent_id = azurerm_key_vault.main.id
  body = {
    properties = {
      value       = random_password.graph_client_state.result
      contentType = "text/plain"
    }
  }
}

# ------------------------------------------------------------------------------------------------ function app

resource "azurerm_service_plan" "main" {
  name                = local.names.plan
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  tags                = local.tags
  os_type             = "Linux"
  sku_name            = "FC1"
}

# Every setting shared/config.ts marks `deployed`, a few `optional` ones, never a `local` one; the same as the
# appsettings resource of infra/bicep/resources.bicep. No AzureWebJobsStorage: the host's storage is reached with the
# identity through the AzureWebJobsStorage__* settings.
locals {
  app_settings = {
    # Host storage, identity-based.
    "AzureWebJobsStorage__credential"     = "managedidentity"
    "AzureWebJobsStorage__clientId"       = azurerm_user_assigned_identity.app.client_id
    "AzureWebJobsStorage__accountName"    = azurerm_storage_account.main.name
    "AzureWebJobsStorage__blobServiceUri" = azurerm_storage_account.main.primary_blob_endpoint
    # Service Bus: the trigger bindings' connection prefix and the service's publisher.
    "ServiceBusConnection__fullyQualifiedNamespace" = "${azurerm_servicebus_namespace.main.name}.servicebus.windows.net"
    "ServiceBusConnection__credential"              = "managedidentity"
    "ServiceBusConnection__clientId"                = azurerm_user_assigned_identity.app.client_id
    "QUEUE_TRANSPORT"                               = "serviceBus"
    # Tables, reached with the identity.
    "TABLES_ENDPOINT" = azurerm_storage_account.main.primary_table_endpoint
    "TABLES_PREFIX"   = var.tables_prefix
    # Microsoft Graph as the managed identity.
    "AZURE_CLIENT_ID"    = azurerm_user_assigned_identity.app.client_id
    "GRAPH_CREDENTIAL"   = "managedIdentity"
    "GRAPH_BASE_URL"     = "https://graph.microsoft.com"
    "NOTIFICATION_URL"   = "https://${local.function_app_host}/api/notifications"
    "GRAPH_CLIENT_STATE" = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.main.name};SecretName=${local.client_state_secret_name})"
    # Application Insights, Entra-authenticated ingestion (local auth is disabled on the component).
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
    # The Node worker's arguments (V8 heap sizing: README.md, Benchmarks), from the one file the benchmark reads.
    "languageWorkers__node__arguments" = jsondecode(file("${path.module}/../node-worker.json")).arguments
  }
}

resource "azurerm_function_app_flex_consumption" "main" {
  name                = local.names.function_app
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  tags                = merge(local.tags, { "azd-service-name" = "api" })
  service_plan_id     = azurerm_service_plan.main.id

  runtime_name           = "node"
  runtime_version        = "22"
  maximum_instance_count = var.maximum_instance_count
  instance_memory_in_mb  = var.instance_memory_mb

  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.main.primary_blob_endpoint}${azurerm_storage_container.deployment.name}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = azurerm_user_assigned_identity.app.id

  https_only                                     = true
  webdeploy_publish_basic_authentication_enabled = false

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  site_config {
    minimum_tls_version                    = "1.2"
    http2_enabled                          = true
    application_insights_connection_string = azurerm_application_insights.main.connection_string
  }

  app_settings = local.app_settings

  # The app must not start before its identity can reach what it needs.
  depends_on = [
    azurerm_role_assignment.storage_blob_data_owner,
    azurerm_role_assignment.storage_table_data_contributor,
    azurerm_role_assignment.service_bus_data_sender,
    azurerm_role_assignment.service_bus_data_receiver,
    azurerm_role_assignment.key_vault_secrets_user,
    azurerm_role_assignment.monitoring_metrics_publisher,
  ]
}

# Key Vault references (GRAPH_CLIENT_STATE) must be resolved with the user-assigned identity: the app has no
# system-assigned one. azurerm_function_app_flex_consumption has no argument for the site's
# keyVaultReferenceIdentity, so it is set on the site through ARM. Re-applied whenever the provider updates the app.
resource "azapi_update_resource" "key_vault_reference_identity" {
  type        = "Microsoft.Web/sites@2024-04-01"
  resource_id = azurerm_function_app_flex_consumption.main.id
  body = {
    properties = {
      keyVaultReferenceIdentity = azurerm_user_assigned_identity.app.id
    }
  }
  lifecycle {
    replace_triggered_by = [azurerm_function_app_flex_consumption.main]
  }
}

# azurerm_function_app_flex_consumption writes an AzureWebJobsStorage app setting of its own (a key-style
# connection string, which cannot work with shared keys disabled) on every create and update, and hides it from
# the state. This PUT replaces the app settings with exactly the intended ones (Microsoft.Web/sites/config
# appsettings is replaced whole), after the provider and after keyVaultReferenceIdentity, so the app restarts once
# more and resolves its Key Vault reference with the identity.
resource "azapi_resource_action" "app_settings" {
  type        = "Microsoft.Web/sites/config@2024-04-01"
  resource_id = "${azurerm_function_app_flex_consumption.main.id}/config/appsettings"
  method      = "PUT"
  body = {
    properties = merge(local.app_settings, {
      "APPLICATIONINSIGHTS_CONNECTION_STRING" = azurerm_application_insights.main.connection_string
    })
  }
  depends_on = [azapi_update_resource.key_vault_reference_identity]
  lifecycle {
    replace_triggered_by = [azurerm_function_app_flex_consumption.main]
  }
}
