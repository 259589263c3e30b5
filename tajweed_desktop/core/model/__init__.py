"""The model: the speech front end, the fold heads (ONNX or torch), bundles and their card, the ensemble."""
