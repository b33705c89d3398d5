// Key Vault in RBAC mode for the secrets the app settings reference. The values are set with az
// CLI after deployment (docs/deployment.md), so no secret passes through a deployment's history.
param name string
param location string
param tags object
param tenantId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: no VNet in this template: the app resolves Key Vault references over the public endpoint with its identity (RBAC mode, purge protection on)
  // checkov:skip=CKV_AZURE_189: the same: public network access is needed without private endpoints
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
