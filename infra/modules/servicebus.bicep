// Service Bus (Standard): one queue per flow (design §2), duplicate detection on, sessions where a
// document's messages must stay in order, dead-lettering on expiry. Local auth off: identity only.
param name string
param location string
param tags object
@description('name, requiresSession, maxDeliveryCount, lockDuration (ISO 8601), duplicateDetectionWindow, timeToLive')
param queues array

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource flowQueues 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [for queue in queues: {
  parent: namespace
  name: queue.name
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: queue.duplicateDetectionWindow
    requiresSession: queue.requiresSession
    maxDeliveryCount: queue.maxDeliveryCount
    lockDuration: queue.lockDuration
    defaultMessageTimeToLive: queue.timeToLive
    deadLetteringOnMessageExpiration: true
    enablePartitioning: false
  }
}]

output id string = namespace.id
output name string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
