"""Building classifier models from labelled data (needs the `train` extra: scikit-learn)."""
