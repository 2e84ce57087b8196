"""Models of joint."""
