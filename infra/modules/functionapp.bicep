// The Function App on the Flex Consumption plan (Python 3.13), running as the user-assigned
// identity: storage, Service Bus and Key Vault are reached with it, never with keys.
param name string
param location string
param tags object
param identityId string
param deploymentContainer string
param instanceMemoryMB int
param maximumInstanceCount int
@description('app setting name → value')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Flex Consumption has no zoneRedundant plan property; availability zones are a platform setting of the plan's region
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: Scend's webhooks and Business Central's notifications arrive over the internet; the Scend route checks an HMAC signature, every other route a function key
  // checkov:skip=CKV_AZURE_17: neither Scend nor Business Central can present a client certificate
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales from zero; the timer polls are the backstop, so a cold start costs seconds, not documents
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    clientCertEnabled: false
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainer
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: { name: 'python', version: '3.13' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
      healthCheckPath: '/api/health'
      appSettings: [for setting in items(appSettings): { name: setting.key, value: string(setting.value) }]
    }
  }
}

output id string = app.id
output name string = app.name
output hostName string = app.properties.defaultHostName
