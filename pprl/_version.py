"""The pprl version, written into every encoded file; a module of its own so that the shared modules
need not import the package's API (``pprl/__init__.py``), which reaches both sides."""

__version__ = "0.2.0"
