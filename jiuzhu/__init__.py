"""jiuzhu."""
