"""The LLM layer: one OpenAI-compatible client (`client.py`) with retries, a concurrency limit,
a response cache (`cache.py`) and a token and cost ledger (`ledger.py`); strict JSON schemas
for structured output (`schema.py`), validated answers with one re-ask (`structured.py`), and
prompt templates as versioned files (`prompts.py`, `content/prompts/<name>/<version>.jinja`)."""
