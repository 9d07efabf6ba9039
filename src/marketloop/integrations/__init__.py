"""Outbound and inbound integrations: Notion, webhooks (Zapier), Slack, PagerDuty, Jira.

Publishing (this stage's part so far), from the bottom up:

    config.py          [notion] and [webhooks] settings
    blocks.py          Notion blocks and rich text within Notion's limits (pure)
    markdown.py        a Markdown draft as blocks (markdown-it-py; pure)
    brief_page.py      a brief as page fields and body blocks (pure)
    pacing.py          token bucket, Retry-After, backoff
    notion.py          the typed Notion API client (httpx, 2025-09-03)
    notion_schema.py   which data source and column holds what
    notion_publish.py  idempotent, resumable publishing of one brief
    webhooks.py        signed events, one delivery with retries, send_event()
    webhook_batch.py   many deliveries at once, recorded in batches
    records.py         app-database tables of deliveries and publications
    briefs_folder.py   reading `briefs generate --out DIR`
    publish.py         a folder to Notion or webhooks: one outcome per brief
    cli.py, demo.py    the commands and the demo step
"""
