"""marketloop: one self-hosted loop for marketing data, SEO, content and operations."""

__version__ = "0.1.0"
