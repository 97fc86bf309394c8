// Every resource of the Meeting Migration Service, in one resource group. Deployed by ./main.bicep.
// Local declarations only (no br/public: registry modules), so the template builds offline.
//
// Identity: one user-assigned managed identity. The Function App runs as it and reaches storage, Service Bus,
// Key Vault, Application Insights and Microsoft Graph with it; no account key, SAS or connection string is ever
// issued (shared-key and local auth are disabled on every service that has them).

@description('Azure region of every resource.')
param location string

@description('Tags put on every resource.')
param tags object

@description('Lower-case hash that makes the global names unique.')
param resourceToken string

@secure()
@description('Graph change-notification clientState, stored as the Key Vault secret graph-client-state.')
param graphClientState string

@description('Prefix of the tables the service creates (TABLES_PREFIX).')
param tablesPrefix string

@description('Most instances Flex Consumption may scale out to.')
param maximumInstanceCount int

@description('Memory of each Flex Consumption instance, in MB.')
param instanceMemoryMB int

// Queue names: identical to QUEUES in shared/queue/port.ts (test/unit/infra checks it).
var meetingMigrationsQueueName = 'meeting-migrations'
var directoryChangesQueueName = 'directory-changes'
// Flex Consumption deployment packages live in this blob container.
var deploymentContainerName = 'app-package'
var clientStateSecretName = 'graph-client-state'

var names = {
  identity: 'id-mms-${resourceToken}'
  storage: take('stmms${resourceToken}', 24)
  logAnalytics: 'log-mms-${resourceToken}'
  appInsights: 'appi-mms-${resourceToken}'
  serviceBus: 'sb-mms-${resourceToken}'
  keyVault: take('kv-mms-${resourceToken}', 24)
  plan: 'plan-mms-${resourceToken}'
  functionApp: 'func-mms-${resourceToken}'
}

// Built-in role definition ids (azure-facts §6). Only these roles are ever assigned.
var roles = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------------------------------------------------------------------------------------------- identity

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------- storage
// Holds the host's own blobs (AzureWebJobsStorage: timer schedules, leases, keys), the Flex deployment
// container, and the service's tables (created by the service at first use, named TABLES_PREFIX + logical name).

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: names.storage
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobServices
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// ---------------------------------------------------------------------------------------------- monitoring

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: names.logAnalytics
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: names.appInsights
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Ingestion only with an Entra token (the app's identity + Monitoring Metrics Publisher).
    DisableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------- service bus
// Standard tier: sessions and duplicate detection (Basic has neither). SAS keys are disabled.
// API version 2021-11-01: the newest whose schema the offline check holds (infra/schemas/README.md). It has no
// minimumTlsVersion property, so the namespace keeps the service's default minimum TLS version (Terraform's
// azurerm sets 1.2 explicitly); see README.md, Deploy.

resource serviceBus 'Microsoft.ServiceBus/namespaces@2021-11-01' = {
  name: names.serviceBus
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
  }
}

// One message per user migration, session id = the user's object id, so one user's migration runs at a time.
// - lockDuration PT5M (the maximum): a user's migration takes seconds to tens of minutes (hundreds of meetings,
//   at most 4 Graph requests at a time per mailbox, Retry-After honoured). The host renews the session lock
//   every half lock period up to maxAutoLockRenewalDuration (host.json: 1 h = functionTimeout); the long base
//   lock keeps a missed renewal (a paused instance) from handing the user to a second worker mid-run.
// - maxDeliveryCount 5: Graph failures are retried by the service itself with backoff (scheduled messages,
//   MIGRATION_MAX_RETRIES, 9 over 24 h), so Service Bus redelivers only after a crash or an unexpected throw.
//   Five such deliveries in a row mean a poison message; dead-lettering it unblocks the user's session.
// - duplicate detection, 1 h window: publishers derive messageId from the request, so a retried admin call or a
//   redelivered directory change that re-publishes the same migration is dropped by Service Bus.
// - 14-day time to live, dead-lettered on expiry: a migration never silently disappears.
resource meetingMigrationsQueue 'Microsoft.ServiceBus/namespaces/queues@2021-11-01' = {
  parent: serviceBus
  name: meetingMigrationsQueueName
  properties: {
    requiresSession: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    maxDeliveryCount: 5
    lockDuration: 'PT5M'
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    enableBatchedOperations: true
  }
}

// Graph change notifications, one message per notification, messageId = hash of the notification.
// - duplicate detection, 4 h window: Graph redelivers a POST it did not see acknowledged (timeout, or a 5xx after
//   part of a batch was enqueued) for up to 4 hours; the window matches that horizon so redeliveries are dropped.
// - maxDeliveryCount 10, lockDuration PT2M: processing re-reads /users/delta and is idempotent, so plain
//   redelivery is the right retry for a transient Graph error.
// - 1-day time to live, dead-lettered on expiry: the renewal timer's delta sweep covers anything older.
resource directoryChangesQueue 'Microsoft.ServiceBus/namespaces/queues@2021-11-01' = {
  parent: serviceBus
  name: directoryChangesQueueName
  properties: {
    requiresSession: false
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT4H'
    maxDeliveryCount: 10
    lockDuration: 'PT2M'
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P1D'
    enableBatchedOperations: true
  }
}

// ---------------------------------------------------------------------------------------------- key vault

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: names.keyVault
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

// Written through the ARM control plane, so the deployer needs no Key Vault data-plane role.
resource clientStateSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: keyVault
  name: clientStateSecretName
  properties: {
    value: graphClientState
    contentType: 'text/plain'
  }
}

// ---------------------------------------------------------------------------------------------- function app

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: names.plan
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: names.functionApp
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

// App settings: every setting shared/config.ts marks `deployed`, a few `optional` ones, never a `local` one.
// A child resource, so NOTIFICATION_URL can use the app's real host name.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // Host storage, identity-based (no AzureWebJobsStorage connection string). The host needs the account name
    // as well as the blob endpoint to start on Flex Consumption.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    // Service Bus: the trigger bindings' connection prefix and the service's publisher.
    ServiceBusConnection__fullyQualifiedNamespace: '${serviceBus.name}.servicebus.windows.net'
    ServiceBusConnection__credential: 'managedidentity'
    ServiceBusConnection__clientId: identity.properties.clientId
    QUEUE_TRANSPORT: 'serviceBus'
    // Tables, reached with the identity.
    TABLES_ENDPOINT: storage.properties.primaryEndpoints.table
    TABLES_PREFIX: tablesPrefix
    // Microsoft Graph as the managed identity (DefaultAzureCredential/ManagedIdentityCredential read it).
    AZURE_CLIENT_ID: identity.properties.clientId
    GRAPH_CREDENTIAL: 'managedIdentity'
    GRAPH_BASE_URL: 'https://graph.microsoft.com'
    NOTIFICATION_URL: 'https://${functionApp.properties.defaultHostName}/api/notifications'
    GRAPH_CLIENT_STATE: '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${clientStateSecretName})'
    // Application Insights, Entra-authenticated ingestion (local auth is disabled on the component).
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
    // The Node worker's arguments (V8 heap sizing: README.md, Benchmarks), from the one file the benchmark reads.
    languageWorkers__node__arguments: loadJsonContent('../node-worker.json').arguments
  }
  dependsOn: [
    clientStateSecretUser
    storageBlobDataOwner
    storageTableDataContributor
    serviceBusDataSender
    serviceBusDataReceiver
    monitoringMetricsPublisher
  ]
}

// No basic-auth (publishing profile) credentials: deployments use Entra ID.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

// ---------------------------------------------------------------------------------------------- role assignments
// One per role and scope, for the app's identity only.

// Host storage (AzureWebJobsStorage) and the Flex deployment container: the host creates its own containers
// (azure-webjobs-hosts, azure-webjobs-secrets) and takes blob leases, which needs Owner on the account.
// No Storage Queue Data Contributor: the app has no queue or blob trigger and no Durable Functions, so the host
// never touches storage queues.
resource storageBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The service's tables: it creates them at first use, so the role is on the account (not on a table).
resource storageTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageTableDataContributor
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Sender and Receiver on the namespace: the namespace holds only this service's two queues, and the app sends
// to and receives from both (notifications -> directory-changes; admin API and processDirectoryChanges ->
// meeting-migrations; migrateUser schedules its own retries), so per-queue assignments would grant the same
// rights with four assignments instead of two. No Data Owner: the app never manages entities.
resource serviceBusDataSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, identity.id, roles.serviceBusDataSender)
  scope: serviceBus
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource serviceBusDataReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, identity.id, roles.serviceBusDataReceiver)
  scope: serviceBus
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Read one secret, not the whole vault.
resource clientStateSecretUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(clientStateSecret.id, identity.id, roles.keyVaultSecretsUser)
  scope: clientStateSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Entra-authenticated telemetry ingestion.
resource monitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------- outputs

output functionAppName string = functionApp.name
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output notificationUrl string = 'https://${functionApp.properties.defaultHostName}/api/notifications'
output identityName string = identity.name
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output storageAccountName string = storage.name
output serviceBusNamespaceName string = serviceBus.name
output keyVaultName string = keyVault.name
output applicationInsightsName string = appInsights.name
output logAnalyticsName string = logAnalytics.name
