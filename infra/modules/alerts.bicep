// Alerts to the operations mailbox: dead letters, failing functions, high-severity exceptions
// opened, stale watermarks. The log alerts read what the app logs when it opens an exception
// ("sync exception opened", with exception_type, owner and severity as custom dimensions).
param namePrefix string
param location string
param tags object
param serviceBusId string
param insightsId string
param alertEmail string

resource actions 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-ops'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'bcscend'
    enabled: true
    emailReceivers: [{ name: 'operations', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages are waiting in a dead-letter queue: bcscend replay-dead-letters --queue <name> --dry-run'
    severity: 2
    enabled: true
    scopes: [serviceBusId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [{
        name: 'dead-letters'
        criterionType: 'StaticThresholdCriterion'
        metricName: 'DeadletteredMessages'
        metricNamespace: 'Microsoft.ServiceBus/namespaces'
        dimensions: [{ name: 'EntityName', operator: 'Include', values: ['*'] }]
        operator: 'GreaterThan'
        threshold: 0
        timeAggregation: 'Maximum'
      }]
    }
    actions: [{ actionGroupId: actions.id }]
  }
}

var logAlerts = [
  {
    name: 'function-failures'
    description: 'A function invocation failed (an error escaped the trigger shell)'
    severity: 1
    query: 'requests | where success == false | summarize failures = count()'
  }
  {
    name: 'high-severity-exceptions'
    description: 'A high-severity exception was opened: see the dashboard for its owner and fix hint'
    severity: 2
    query: 'traces | where message == "sync exception opened" and tostring(customDimensions.severity) == "high" | summarize opened = count()'
  }
  {
    name: 'stale-watermarks'
    description: 'A poll or feed stopped reading (WATERMARK_STALE or FEED_STALLED)'
    severity: 1
    query: 'traces | where message == "sync exception opened" and tostring(customDimensions.exception_type) in ("WATERMARK_STALE", "FEED_STALLED") | summarize stale = count()'
  }
]

resource logRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for rule in logAlerts: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  properties: {
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [insightsId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [{
        query: rule.query
        timeAggregation: 'Count'
        operator: 'GreaterThan'
        threshold: 0
        failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
      }]
    }
    actions: { actionGroups: [actions.id] }
  }
}]
