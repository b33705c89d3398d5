"""Webhooks: subscriptions, Standard Webhooks signing, and at-least-once, unordered delivery."""
