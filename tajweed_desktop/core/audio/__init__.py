"""Audio in: decode any file, resample, find the speech, set the level, cut the model's clips."""
