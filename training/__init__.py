"""The workshop: training, evaluation and data-building code. Not shipped in the gateway image or wheel."""
