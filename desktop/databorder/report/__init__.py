"""Output: the assessment as people and programs read it (console table here; JSON is the model's own form)."""
