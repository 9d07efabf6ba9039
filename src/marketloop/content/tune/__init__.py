"""Model tuning: training sets from approved briefs, hosted (OpenAI) and in-house (LoRA)
fine-tuning, experiment tracking, and the pilot-stack decision."""
