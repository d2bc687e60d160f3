"""Text preparation: normalisation and windowing."""
