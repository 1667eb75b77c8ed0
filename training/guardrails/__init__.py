"""Offline evaluation and training of the rails (input head, grounding cascade, harm data)."""
