"""Local stand-ins for what marketloop talks to: faithful fakes of SaaS APIs (documented shapes,
pagination, errors, rate limits) served on 127.0.0.1. They live in the package, not under tests/,
because `marketloop demo` runs the whole loop against them offline; the tests start the same
servers as fixtures."""
