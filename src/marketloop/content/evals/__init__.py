"""Evals: run prompt variants × models over a suite of cases, assert, judge, compare."""
