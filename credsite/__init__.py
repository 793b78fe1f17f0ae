"""credsite: a static-site generator for publicly hosted, signed Open Badges credentials."""

__version__ = "0.1.0"
