"""Reproduce the k-fold training that produces the bundled model ensembles."""
