"""Reading a cell of an import file: dates in the forms people write them, and coordinates."""

# The cases are look-alike characters (Arabic digits, primes, curly quotes), written as themselves.
# ruff: noqa: RUF001

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testimonia.incidents.import_values import (
    LATITUDE,
    LONGITUDE,
    ValueProblem,
    parse_angle,
    parse_date,
    parse_point,
    parse_time,
    swapped_hint,
)

D = dt.date


@pytest.mark.parametrize(
    ("value", "date", "precision", "time"),
    [
        ("2024-03-14", D(2024, 3, 14), "day", None),
        ("2024-03-14T10:30", D(2024, 3, 14), "exact", dt.time(10, 30)),
        ("2024-03-14 10:30:15+02:00", D(2024, 3, 14), "exact", dt.time(10, 30, 15)),
        ("2024/03/14", D(2024, 3, 14), "day", None),
        ("14/03/2024", D(2024, 3, 14), "day", None),
        ("14.03.2024", D(2024, 3, 14), "day", None),
        ("14-03-2024", D(2024, 3, 14), "day", None),
        ("4/3/2024", D(2024, 3, 4), "day", None),
        ("14/03/2024 22:05", D(2024, 3, 14), "exact", dt.time(22, 5)),
        ("14/03/2024 10:30 PM", D(2024, 3, 14), "exact", dt.time(22, 30)),
        ("14 March 2024", D(2024, 3, 14), "day", None),
        ("March 14, 2024", D(2024, 3, 14), "day", None),
        ("Thursday, 14th March 2024", D(2024, 3, 14), "day", None),
        ("14-Mar-2024", D(2024, 3, 14), "day", None),
        ("14 Sept 2023", D(2023, 9, 14), "day", None),
        ("March 2024", D(2024, 3, 1), "month", None),
        ("2024-03", D(2024, 3, 1), "month", None),
        ("03/2024", D(2024, 3, 1), "month", None),
        ("2024", D(2024, 1, 1), "year", None),
        ("١٤/٠٣/٢٠٢٤", D(2024, 3, 14), "day", None),  # Arabic-Indic digits
        ("۱۴/۰۳/۲۰۲۴", D(2024, 3, 14), "day", None),  # Persian digits
        ("١٤ آذار ٢٠٢٤", D(2024, 3, 14), "day", None),  # Levantine month name
        ("14 مارس 2024", D(2024, 3, 14), "day", None),  # Egyptian month name
        ("14 تشرين الأول 2023", D(2023, 10, 14), "day", None),
        ("14 מרץ 2024", D(2024, 3, 14), "day", None),
        ("14 במרץ 2024", D(2024, 3, 14), "day", None),  # Hebrew "in March"
        ("45365", D(2024, 3, 14), "day", None),  # an Excel serial number
        (45365, D(2024, 3, 14), "day", None),
        (45365.75, D(2024, 3, 14), "exact", dt.time(18, 0)),
        (2024, D(2024, 1, 1), "year", None),
        (dt.datetime(2024, 3, 14, 0, 0), D(2024, 3, 14), "day", None),
        (dt.datetime(2024, 3, 14, 9, 15), D(2024, 3, 14), "exact", dt.time(9, 15)),
        (D(2024, 3, 14), D(2024, 3, 14), "day", None),
    ],
)
def test_dates_are_read_with_their_precision(value, date, precision, time):
    parsed = parse_date(value)
    assert parsed is not None
    assert parsed.date == date
    assert parsed.precision == precision
    assert parsed.time == time


def test_empty_cells_are_no_date():
    assert parse_date(None) is None
    assert parse_date("  ") is None


def test_month_first_reads_american_dates():
    parsed = parse_date("03/14/2024", month_first=True)
    assert parsed is not None
    assert parsed.date == D(2024, 3, 14)
    assert parse_date("03/04/2024", month_first=True).date == D(2024, 3, 4)
    assert parse_date("03/04/2024").date == D(2024, 4, 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/02/2024", "'31/02/2024' is not a real date (month 2 has no day 31)"),
        ("03/14/2024", "this file may write the month first"),
        ("yesterday", "'yesterday' is not a date that can be read"),
        ("14/03", "'14/03' is not a date"),
        ("2024-13-01", "has no month 13"),
        ("0999-01-01", "the year 999 is not plausible"),
        (dt.time(10, 30), "is a time, not a date"),
        (True, "is not a date"),
    ],
)
def test_unreadable_dates_say_why_and_quote_the_value(value, expected):
    with pytest.raises(ValueProblem) as problem:
        parse_date(value)
    assert expected in str(problem.value)


@pytest.mark.parametrize(
    ("value", "time"),
    [
        ("10:30", dt.time(10, 30)),
        ("10:30:15", dt.time(10, 30, 15)),
        ("10.30", dt.time(10, 30)),
        ("10:30 pm", dt.time(22, 30)),
        ("١٠:٣٠ م", dt.time(22, 30)),
        ("١٠:٣٠ ص", dt.time(10, 30)),
        (0.4375, dt.time(10, 30)),
        (dt.time(7, 5), dt.time(7, 5)),
    ],
)
def test_times(value, time):
    assert parse_time(value) == time


def test_a_bad_time_is_refused():
    with pytest.raises(ValueProblem, match="'25:00' is not a time"):
        parse_time("25:00")


@pytest.mark.parametrize(
    ("value", "axis", "degrees"),
    [
        ("31.5", LATITUDE, 31.5),
        ("31,5", LATITUDE, 31.5),
        ("-34.45", LONGITUDE, -34.45),
        ("+34.45", LONGITUDE, 34.45),
        ("31.5N", LATITUDE, 31.5),
        ("31.5 S", LATITUDE, -31.5),
        ("W 34.45", LONGITUDE, -34.45),
        ("31°30'15\"N", LATITUDE, 31.50417),
        ("31°30′15″N", LATITUDE, 31.50417),  # prime and double prime
        ("31º30’15”N", LATITUDE, 31.50417),  # ordinal sign and curly quotes, as typed
        ("31°30'15''N", LATITUDE, 31.50417),  # two single quotes for seconds
        ("31 30 15 N", LATITUDE, 31.50417),
        ("N 31 30 15", LATITUDE, 31.50417),
        ("N31°30.25'", LATITUDE, 31.50417),
        ("31°30.25'", LATITUDE, 31.50417),
        ("34°27'E", LONGITUDE, 34.45),
        ("34° 27' 0\" West", LONGITUDE, -34.45),
        ("-31°30'15\"", LATITUDE, -31.50417),
        ("٣١٫٥", LATITUDE, 31.5),  # Arabic-Indic digits and decimal separator
        (31.5, LATITUDE, 31.5),
        (-180, LONGITUDE, -180.0),
    ],
)
def test_one_coordinate_in_decimal_or_dms(value, axis, degrees):
    assert round(parse_angle(value, axis), 5) == degrees


@pytest.mark.parametrize(
    ("value", "latitude", "longitude"),
    [
        ("31.5, 34.45", 31.5, 34.45),
        ("31.5,34.45", 31.5, 34.45),
        ("31.5;34.45", 31.5, 34.45),
        ("31.5 34.45", 31.5, 34.45),
        ("31,5 34,45", 31.5, 34.45),
        ("31,5; 34,45", 31.5, 34.45),
        ("[31.5, 34.45]", 31.5, 34.45),  # KoBo's _geolocation
        ("31.5 34.45 12.0 5.0", 31.5, 34.45),  # an ODK/KoBo geopoint
        ("31°30'15\"N 34°27'E", 31.50417, 34.45),
        ("31°30'15\"N, 34°27'0\"E", 31.50417, 34.45),
        ("N31 30 15 E34 27 0", 31.50417, 34.45),
        ("34.45E 31.5N", 31.5, 34.45),  # the letters say which is which
        ("31°30'15\" 34°27'", 31.50417, 34.45),
        ("31 30 15 34 27 0", 31.50417, 34.45),
        ("POINT(34.45 31.5)", 31.5, 34.45),  # WKT: longitude first
        ("31.5S, 34.45W", -31.5, -34.45),
    ],
)
def test_both_coordinates_in_one_cell(value, latitude, longitude):
    point = parse_point(value)
    assert point is not None
    assert round(point.latitude, 5) == latitude
    assert round(point.longitude, 5) == longitude


def test_a_geopoint_keeps_its_accuracy():
    assert parse_point("31.5 34.45 12 4.5").accuracy == 4.5


@pytest.mark.parametrize("value", [None, "", "  ", "[None, None]", "null", "N/A"])
def test_empty_coordinates(value):
    assert parse_point(value) is None


@pytest.mark.parametrize(
    ("value", "axis", "expected"),
    [
        ("95.2", LATITUDE, "the latitude '95.2' is outside -90..90"),
        ("181", LONGITUDE, "the longitude '181' is outside -180..180"),
        ("31.5E", LATITUDE, "'31.5E' is marked E, which is not a latitude"),
        ("-31.5S", LATITUDE, "'-31.5S' has both a sign and the letter S"),
        ("31°75'", LATITUDE, "minutes and seconds must be below 60"),
        ("31.5°30'", LATITUDE, "only the last of degrees, minutes and seconds may have decimals"),
        ("31'30°", LATITUDE, "out of order"),
        ("31.5 N S", LATITUDE, "more than one of the letters"),
        ("Gaza", LONGITUDE, "'Gaza' is not a longitude"),
        ("31.5.2", LATITUDE, "is not a latitude"),
    ],
)
def test_bad_coordinates_say_why_and_quote_the_value(value, axis, expected):
    with pytest.raises(ValueProblem) as problem:
        parse_angle(value, axis)
    assert expected in str(problem.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("95, 34", "outside -90..90"),
        ("31.5N 34.45N", "has two latitudes"),
        ("31.5N 34.45", "a letter each"),
        ("31,5,34,45", "cannot tell the latitude from the longitude"),
        ("here", "cannot tell the latitude from the longitude"),
    ],
)
def test_bad_coordinate_pairs_say_why(value, expected):
    with pytest.raises(ValueProblem) as problem:
        parse_point(value)
    assert expected in str(problem.value)


def test_swapped_coordinates_are_recognised_in_the_region():
    region = (29.0, 34.0, 34.0, 36.0)  # south, west, north, east
    assert swapped_hint(region, 34.45, 31.5) is True
    assert swapped_hint(region, 31.5, 34.45) is False
    assert swapped_hint(region, 48.85, 2.35) is False  # elsewhere, but not swapped
    assert swapped_hint(None, 34.45, 31.5) is False


# ---------------------------------------------------------------------------------------------
# Round trip: any point, written in each of the usual styles, reads back where it was.


def _dms(value, positive, negative):
    hundredths = round(abs(value) * 3600 * 100)
    degrees, rest = divmod(hundredths, 3600 * 100)
    minutes, seconds = divmod(rest, 60 * 100)
    return degrees, minutes, seconds / 100, positive if value >= 0 else negative


def _styles(value, positive, negative):
    d, m, s, letter = _dms(value, positive, negative)
    ten_thousandths = round(abs(value) * 60 * 10_000)
    dm_degrees, dm_minutes = divmod(ten_thousandths, 60 * 10_000)
    return [
        f"{d}°{m}'{s:.2f}\"{letter}",
        f"{d} {m} {s:.2f} {letter}",
        f"{letter} {d}°{m}′{s:.2f}″",
        f"{dm_degrees}°{dm_minutes / 10_000:.4f}'{letter}",
        f"{abs(value):.6f}{letter}",
        f"{value:.6f}".replace(".", ","),
    ]


latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(latitudes, longitudes)
def test_points_written_in_any_style_read_back(latitude, longitude):
    for lat_text, lon_text in zip(
        _styles(latitude, "N", "S"), _styles(longitude, "E", "W"), strict=True
    ):
        assert abs(parse_angle(lat_text, LATITUDE) - latitude) < 1e-4
        assert abs(parse_angle(lon_text, LONGITUDE) - longitude) < 1e-4
        separator = "; " if "," in lat_text else ", "
        point = parse_point(f"{lat_text}{separator}{lon_text}")
        assert abs(point.latitude - latitude) < 1e-4
        assert abs(point.longitude - longitude) < 1e-4
