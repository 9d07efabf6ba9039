from marketloop.report import charts


def test_every_check_status_has_its_own_fixed_colour() -> None:
    statuses = ("pass", "warn", "fail", "error", "skipped")
    # the same colour whatever position the status has in a chart's series
    assert all(charts.colour(s, 0) == charts.colour(s, 5) for s in statuses)
    assert charts.colour("skipped") not in {charts.colour(s) for s in ("pass", "warn", "fail")}
