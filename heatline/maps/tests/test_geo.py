"""The display datums against published reference values, distances, boxes and polygons."""

import pytest

from heatline.core.errors import InvalidInput
from heatline.maps.geo import (
    BBox,
    bbox_around,
    bbox_parse,
    bd09_to_gcj02,
    distance_m,
    from_display,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    point_in_ring,
    to_display,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Reference values of the widely used coordtransform library (wandergis), point (116.404, 39.915).
REFERENCE = 116.404, 39.915


def test_wgs84_to_gcj02_matches_the_reference() -> None:
    assert wgs84_to_gcj02(*REFERENCE) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)


def test_gcj02_to_bd09_and_back_match_the_reference() -> None:
    assert gcj02_to_bd09(*REFERENCE) == pytest.approx((116.41036949371029, 39.92133699351022), abs=1e-9)
    assert bd09_to_gcj02(*REFERENCE) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-9)


def test_gcj02_to_wgs84_is_near_the_one_step_reference_and_inverts_within_a_millimetre() -> None:
    # the reference's one-step inverse is a few metres off; the iterated one lands within 5 m of it
    assert distance_m(gcj02_to_wgs84(*REFERENCE), (116.39775550083061, 39.91359571849836)) < 5
    for point in ((127.5, 50.25), REFERENCE, (121.47, 31.23)):
        assert distance_m(gcj02_to_wgs84(*wgs84_to_gcj02(*point)), point) < 0.001


def test_heihe_moves_a_few_hundred_metres_on_gcj02_and_bd09() -> None:
    heihe = (127.5, 50.25)
    assert wgs84_to_gcj02(*heihe) == pytest.approx((127.50740603495319, 50.25170141067866), abs=1e-9)
    assert wgs84_to_bd09(*heihe) == pytest.approx((127.51402706284085, 50.25733998602714), abs=1e-9)
    assert 400 < distance_m(heihe, wgs84_to_gcj02(*heihe)) < 700
    assert to_display(*heihe, "wgs84") == heihe
    assert distance_m(from_display(*to_display(*heihe, "bd09"), "bd09"), heihe) < 0.5


def test_outside_china_the_datums_coincide() -> None:
    paris = (2.35, 48.85)
    assert wgs84_to_gcj02(*paris) == paris


def test_distances_and_the_box_around_a_point() -> None:
    # one degree of latitude is ~111.2 km; 0.001° of longitude at 50.25° N is ~71 m
    assert distance_m((127.5, 50.0), (127.5, 51.0)) == pytest.approx(111_195, rel=1e-3)
    assert distance_m((127.5, 50.25), (127.501, 50.25)) == pytest.approx(71.1, abs=0.5)
    box = bbox_around((127.5, 50.25), 50)
    assert box.contains(127.5005, 50.2503)
    assert not box.contains(127.5012, 50.25)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3", "四个数字"),
        ("a,b,c,d", "四个数字"),
        ("127,50,126,51", "west ≤ east"),
        ("127,91,128,92", "超出"),
        ("nan,50,128,51", "有限"),
    ],
)
def test_a_malformed_bbox_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        bbox_parse(text)
    assert message in error.value.message
    assert error.value.field == "bbox"


def test_a_good_bbox_and_an_empty_one() -> None:
    assert bbox_parse("127.4,50.2,127.6,50.3") == BBox(127.4, 50.2, 127.6, 50.3)
    assert bbox_parse("") is None


def test_point_in_ring() -> None:
    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    assert point_in_ring((0.5, 0.5), square)
    assert not point_in_ring((1.5, 0.5), square)
    concave = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [1.0, 1.0], [0.0, 2.0]]
    assert not point_in_ring((1.0, 1.6), concave)
    assert point_in_ring((1.0, 0.5), concave)
