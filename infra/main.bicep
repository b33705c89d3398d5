// Business Central ↔ Scend integration: everything it runs on, in one resource group.
// Deploy: docs/deployment.md. The app settings below are exactly those shared/settings.py and the
// bindings in function_app.py read (tests/unit/infra/test_bicep.py proves it both ways).
targetScope = 'resourceGroup'

@description('Short name used in every resource name, e.g. bcscend-prod')
@minLength(3)
@maxLength(16)
param name string
param location string = resourceGroup().location
param tags object = {}

@description('Flex Consumption instance memory (MB): 512, 2048 or 4096')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@description('Flex Consumption maximum instances (scale-out ceiling)')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40
param logRetentionDays int = 30
param alertEmail string

@description('Business Central: Microsoft Entra tenant, environment, company and the app registration')
param bcTenantId string
param bcEnvironment string
param bcCompanyId string
param bcClientId string
@allowed(['standard', 'extension'])
param bcWritebackMode string = 'standard'
param bcInvoiceOnReceipt bool = false
param scendBaseUrl string

var suffix = uniqueString(resourceGroup().id, name)
var tables = ['CrossReferences', 'Watermarks', 'SyncExceptions', 'ProcessedEvents', 'Reconciliations', 'OrderTimeline', 'RequestBudgets']
// shared/messaging/queues.py: sessions keep one document's messages in order.
var queues = [
  { name: 'items-to-scend', requiresSession: false, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'orders-to-scend', requiresSession: true, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'purchase-orders-to-scend', requiresSession: true, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'scend-shipments', requiresSession: false, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'scend-returns', requiresSession: false, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'scend-stock', requiresSession: false, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'scend-receipts', requiresSession: false, maxDeliveryCount: 10, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT10M', timeToLive: 'P14D' }
  { name: 'poll-requests', requiresSession: false, maxDeliveryCount: 5, lockDuration: 'PT1M', duplicateDetectionWindow: 'PT1M', timeToLive: 'PT1H' }
]

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: { name: '${name}-id', location: location, tags: tags }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: { namePrefix: name, location: location, tags: tags, retentionDays: logRetentionDays }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: { name: take('st${replace(name, '-', '')}${suffix}', 24), location: location, tags: tags, tables: tables }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: { name: '${name}-sb-${suffix}', location: location, tags: tags, queues: queues }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: { name: take('${name}-kv-${suffix}', 24), location: location, tags: tags, tenantId: subscription().tenantId }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusName: serviceBus.outputs.name
    keyVaultName: vault.outputs.name
  }
}

var secret = '@Microsoft.KeyVault(SecretUri=${vault.outputs.uri}secrets/'

module app 'modules/functionapp.bicep' = {
  name: 'functionapp'
  dependsOn: [roles]
  params: {
    name: '${name}-func-${suffix}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    deploymentContainer: storage.outputs.deploymentContainer
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appSettings: {
      // The host and the Azure SDKs: storage, Service Bus and Key Vault through the identity.
      AzureWebJobsStorage__accountName: storage.outputs.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.outputs.clientId
      ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
      ServiceBusConnection__credential: 'managedidentity'
      ServiceBusConnection__clientId: identity.outputs.clientId
      AZURE_CLIENT_ID: identity.outputs.clientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
      OTEL_SERVICE_NAME: 'bc-scend-integration'
      // Business Central
      BC_TENANT_ID: bcTenantId
      BC_ENVIRONMENT: bcEnvironment
      BC_COMPANY_ID: bcCompanyId
      BC_CLIENT_ID: bcClientId
      BC_CLIENT_SECRET: '${secret}bc-client-secret)'
      BC_WRITEBACK_MODE: bcWritebackMode
      BC_INVOICE_ON_RECEIPT: bcInvoiceOnReceipt ? 'true' : 'false'
      BC_WEBHOOK_CLIENT_STATE: '${secret}bc-webhook-client-state)'
      BC_NOTIFICATION_URL: '${secret}bc-notification-url)'
      // Scend
      SCEND_BASE_URL: scendBaseUrl
      SCEND_API_KEY: '${secret}scend-api-key)'
      SCEND_WEBHOOK_SECRETS: '${secret}scend-webhook-secrets)'
      // Storage and messaging
      TABLES_ACCOUNT_URL: storage.outputs.tableEndpoint
      BC_SHARED_BUDGET: 'true' // several instances, one BC principal: one budget in Table Storage
      MESSAGING_TRANSPORT: 'servicebus'
      ITEMS_QUEUE: 'items-to-scend'
      ORDERS_QUEUE: 'orders-to-scend'
      PURCHASE_ORDERS_QUEUE: 'purchase-orders-to-scend'
      SHIPMENTS_QUEUE: 'scend-shipments'
      RETURNS_QUEUE: 'scend-returns'
      STOCK_QUEUE: 'scend-stock'
      RECEIPTS_QUEUE: 'scend-receipts'
      POLL_REQUESTS_QUEUE: 'poll-requests'
      // Schedules (NCRONTAB, UTC)
      POLL_BC_ITEMS_SCHEDULE: '0 */5 * * * *'
      POLL_BC_SALES_ORDERS_SCHEDULE: '0 * * * * *'
      POLL_BC_PURCHASE_ORDERS_SCHEDULE: '0 */10 * * * *'
      POLL_SCEND_FEEDS_SCHEDULE: '30 */2 * * * *'
      RENEW_BC_SUBSCRIPTIONS_SCHEDULE: '0 0 */6 * * *'
      RUN_AUDITS_SCHEDULE: '0 */15 * * * *'
      RECONCILE_STOCK_SCHEDULE: '0 0 5 * * *'
    }
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: name
    location: location
    tags: tags
    serviceBusId: serviceBus.outputs.id
    insightsId: monitoring.outputs.insightsId
    alertEmail: alertEmail
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: { namePrefix: name, location: location, tags: tags, insightsId: monitoring.outputs.insightsId }
}

output functionAppName string = app.outputs.name
output functionAppHost string = app.outputs.hostName
output keyVaultName string = vault.outputs.name
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output storageAccountName string = storage.outputs.name
