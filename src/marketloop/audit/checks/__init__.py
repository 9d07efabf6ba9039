"""Every audit check, one module per theme; importing this package registers them all."""

from marketloop.audit.checks import (  # noqa: F401
    duplicates,
    hreflang,
    images,
    indexing,
    javascript,
    links,
    onpage,
    redirects,
    responses,
    security,
)
