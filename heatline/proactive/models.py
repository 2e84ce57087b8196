"""Models of proactive."""
