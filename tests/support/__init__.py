"""Helpers shared by the tests of several stages: the CLI entry point in process (`cli`) and
real marketloop processes (`processes`)."""
