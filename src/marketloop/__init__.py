"""marketloop: one self-hosted loop for marketing data, SEO, content and operations."""

import os

__version__ = "0.1.0"

# dlt (the ingest stage's loader) reads its runtime settings once, on the first touch of its
# config, and starts its anonymous usage tracker (telemetry.scalevector.ai) from them. Setting
# dlt.config later is too late, so opt out here, before any marketloop module imports dlt.
# A user who wants dlt's telemetry can still set RUNTIME__DLTHUB_TELEMETRY=true.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
