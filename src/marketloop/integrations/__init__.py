"""Outbound and inbound integrations: Notion, webhooks (Zapier), Slack, PagerDuty, Jira."""
