"""The dashboard's loans address (TUOPIN_EVALUATION_LOANS_URL): an http(s) address, its
origin the one the page's Content-Security-Policy lets it connect to besides its own."""

import pytest
from pydantic import ValidationError

from tuopin_evaluation.adapters.dashboard import content_security_policy
from tuopin_evaluation.config import EvaluationSettings


def test_the_loans_address_gives_the_origin_the_page_may_connect_to() -> None:
    settings = EvaluationSettings(loans_url="https://loans.tuopin.example/")
    assert settings.loans_url == "https://loans.tuopin.example"
    assert settings.loans_origin == "https://loans.tuopin.example"
    behind = EvaluationSettings(loans_url="https://gateway.tuopin.example:8443/loans")
    assert behind.loans_origin == "https://gateway.tuopin.example:8443"  # a path prefix: kept
    assert "connect-src 'self' https://gateway.tuopin.example:8443;" in content_security_policy(
        behind.loans_origin
    )
    assert EvaluationSettings().loans_url is None and EvaluationSettings().loans_origin is None
    assert EvaluationSettings(loans_url="").loans_url is None  # an empty variable: unset


@pytest.mark.parametrize(
    "url",
    [
        "loans.tuopin.example",
        "javascript:alert(1)",
        "ftp://loans.tuopin.example",
        "https://loans.tuopin.example/?x=1",
        "https://user:pw@loans.tuopin.example",
        "https://loans.tuopin.example/#top",
        "https://loans.tuopin.example; script-src *",
        "https://loans.tuopin.example'",
    ],
)
def test_anything_but_a_plain_http_address_is_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        EvaluationSettings(loans_url=url)
