// Meeting Migration Service: the whole deployment, at subscription scope (azd's layout).
// It creates the resource group and deploys ./resources.bicep into it. infra/terraform is the equivalent
// Terraform; test/unit/infra checks that both stay equivalent.
//
//   azd up                                   (azure.yaml runs the hooks in infra/scripts)
//   az deployment sub create -l <region> -f infra/bicep/main.bicep \
//     -p environmentName=<name> location=<region> graphClientState=$(openssl rand -hex 32)
//
// Microsoft Graph application permissions are granted after provisioning by
// infra/scripts/grant-graph-permissions.sh (azd runs it as the postprovision hook).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (e.g. prod, test); part of every resource name through a hash.')
param environmentName string

@minLength(1)
@description('Azure region of every resource. It must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

@secure()
@minLength(32)
@maxLength(128)
@description('Secret Graph echoes in every change notification (clientState, at most 128 characters). Generated once by infra/scripts/ensure-client-state.sh (azd preprovision) and stored in Key Vault; never a default.')
param graphClientState string

@description('Prefix of the tables the service creates in the storage account (letters and digits).')
param tablesPrefix string = 'mms'

@minValue(1)
@maxValue(1000)
@description('Most instances Flex Consumption may scale out to.')
param maximumInstanceCount int = 40

@allowed([
  2048
  4096
])
@description('Memory of each Flex Consumption instance, in MB.')
param instanceMemoryMB int = 2048

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'meeting-migration-service'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources './resources.bicep' = {
  name: 'mms-resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    graphClientState: graphClientState
    tablesPrefix: tablesPrefix
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

// azd turns every output into an environment variable (the postprovision hook reads some of them).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output FUNCTION_APP_URL string = resources.outputs.functionAppUrl
output NOTIFICATION_URL string = resources.outputs.notificationUrl
output AZURE_MANAGED_IDENTITY_NAME string = resources.outputs.identityName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output AZURE_SERVICE_BUS_NAMESPACE string = resources.outputs.serviceBusNamespaceName
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_APPLICATION_INSIGHTS_NAME string = resources.outputs.applicationInsightsName
output AZURE_LOG_ANALYTICS_NAME string = resources.outputs.logAnalyticsName
