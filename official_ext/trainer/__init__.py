"""The training spine: gin-configured Orbit trainer (official_ext/train.py)."""
