"""LoRA fine-tuning of the local base model to follow the gateway's grounded-answer prompt."""
