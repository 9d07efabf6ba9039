"""Create: content briefs and drafts with an LLM (or offline), prompt templates, evals."""
