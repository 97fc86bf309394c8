# The same outputs as infra/bicep/main.bicep (lower-case here).
output "azure_location" {
  value = var.location
}

output "azure_tenant_id" {
  value = data.azurerm_client_config.current.tenant_id
}

output "azure_resource_group" {
  value = azurerm_resource_group.main.name
}

output "azure_function_app_name" {
  value = azurerm_function_app_flex_consumption.main.name
}

output "function_app_url" {
  description = "Base URL of the app; the health check is <url>/api/health."
  value       = "https://${azurerm_function_app_flex_consumption.main.default_hostname}"
}

output "notification_url" {
  description = "URL Graph change-notification subscriptions deliver to (the app's NOTIFICATION_URL)."
  value       = "https://${local.function_app_host}/api/notifications"
}

output "azure_managed_identity_name" {
  value = azurerm_user_assigned_identity.app.name
}

output "azure_managed_identity_client_id" {
  value = azurerm_user_assigned_identity.app.client_id
}

output "azure_managed_identity_principal_id" {
  value = azurerm_user_assigned_identity.app.principal_id
}

output "azure_storage_account_name" {
  value = azurerm_storage_account.main.name
}

output "azure_service_bus_namespace" {
  value = azurerm_servicebus_namespace.main.name
}

output "azure_key_vault_name" {
  value = azurerm_key_vault.main.name
}

output "azure_application_insights_name" {
  value = azurerm_application_insights.main.name
}

output "azure_log_analytics_name" {
  value = azurerm_log_analytics_workspace.main.name
}
