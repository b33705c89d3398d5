// The integration's Application Insights workbook: throughput per flow, exceptions by owner,
// dead letters, watermark age.
param namePrefix string
param location string
param tags object
param insightsId string

var queries = [
  {
    title: 'Documents per flow and outcome (last 24 h)'
    query: 'customMetrics | where name == "integration.documents" | summarize documents = sum(valueSum) by flow = tostring(customDimensions.flow), outcome = tostring(customDimensions.outcome), bin(timestamp, 1h) | render timechart'
  }
  {
    title: 'Exceptions opened by owner (last 7 days)'
    query: 'traces | where timestamp > ago(7d) and message == "sync exception opened" | summarize opened = count() by owner = tostring(customDimensions.owner), type = tostring(customDimensions.exception_type) | order by opened desc'
  }
  {
    title: 'Dead letters and stale watermarks raised by the audits (last 24 h)'
    query: 'traces | where timestamp > ago(1d) and message == "sync exception opened" and tostring(customDimensions.exception_type) in ("DEAD_LETTERS", "WATERMARK_STALE", "FEED_STALLED") | project timestamp, type = tostring(customDimensions.exception_type), document = tostring(customDimensions.business_key)'
  }
]

var content = {
  version: 'Notebook/1.0'
  items: [for (item, i) in queries: {
    type: 3
    name: 'query-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: item.title
      query: item.query
      queryType: 0
      resourceType: 'microsoft.insights/components'
    }
  }]
  fallbackResourceIds: [insightsId]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, namePrefix, 'workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Business Central ↔ Scend integration'
    category: 'workbook'
    sourceId: insightsId
    serializedData: string(content)
  }
}
