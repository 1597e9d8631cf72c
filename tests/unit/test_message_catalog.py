"""The one message catalog: every tr() sentence of the code has its Chinese, placeholders alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from sgz_runtime import errors, i18n, status

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "sgz_runtime",
    "sgz_cli",
    "roster_svc",
    "visit_svc",
    "hr_svc",
    "finance_svc",
    "assessment_svc",
    "gateway",
    "deploy",
]


def _extracted() -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    for package in PACKAGES:
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(folder),
            method_map=[("**.py", "python")],
            keywords={"tr": None},
            comment_tags=(),
            strip_comment_tags=True,
        ):
            if isinstance(message, str):
                found.append((f"{package}/{filename}", message, lineno))
    return found


def test_every_sentence_of_the_code_has_its_chinese() -> None:
    catalog = i18n.catalog()
    extracted = _extracted()
    assert len(extracted) >= 4  # the extraction itself works
    missing = [
        f"{where}:{line}: {msgid!r}" for where, msgid, line in extracted if msgid not in catalog
    ]
    assert not missing, "sentences without a zh_CN translation:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_source() -> None:
    drifted = [
        f"{msgid!r} -> {zh!r}"
        for msgid, zh in i18n.catalog().items()
        if i18n.placeholders(msgid) != i18n.placeholders(zh)
    ]
    assert not drifted, "\n".join(drifted)


def test_text_renders_chinese_by_default_and_english_on_request() -> None:
    text = i18n.tr("{resource} does not exist", resource="towns/7")
    assert text.render() == "towns/7 不存在"
    assert text.render("en") == "towns/7 does not exist"
    assert str(text) == "towns/7 does not exist"
    with i18n.use_locale("en-GB"):
        assert text.render() == "towns/7 does not exist"


def test_nested_texts_render_in_the_same_locale() -> None:
    inner = i18n.tr("{resource} does not exist", resource="towns/7")
    outer = i18n.tr("{field}: {description}", field="town", description=inner)
    assert outer.render("zh-CN") == "town：towns/7 不存在"
    assert outer.render("en") == "town: towns/7 does not exist"


def test_verbatim_text_is_shown_as_it_is() -> None:
    assert i18n.verbatim("王 {x}").render("en") == "王 {x}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.9, zh;q=0.8", "en"),
        ("zh;q=0.5, en;q=0.9", "en"),
        ("fr-FR, de", "zh-CN"),
        ("fr, en;q=0.1", "en"),
        ("en;q=0", "zh-CN"),
        ("zh-Hant-TW", "zh-CN"),
        ("garbage;;q=x", "zh-CN"),
    ],
)
def test_accept_language_is_negotiated(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_a_refusal_carries_a_localized_message_in_the_callers_locale() -> None:
    from google.rpc import error_details_pb2, status_pb2

    error = errors.NotFound("towns/9")
    for locale, expected in [("zh-CN", "towns/9 不存在"), ("en", "towns/9 does not exist")]:
        with i18n.use_locale(locale):
            sent = status.to_status(error, service="test")
        rich = next(
            status_pb2.Status.FromString(v)
            for k, v in sent.trailing_metadata
            if k == "grpc-status-details-bin"
        )
        assert rich.message == "towns/9 does not exist"  # AIP-193: the developer's English
        found = [d for d in rich.details if d.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR)]
        assert len(found) == 1
        localized = error_details_pb2.LocalizedMessage()
        found[0].Unpack(localized)
        assert (localized.locale, localized.message) == (locale, expected)


def test_every_violation_of_a_request_is_reported_at_once() -> None:
    error = errors.InvalidArgument.of(
        [
            errors.FieldViolation("person.name", i18n.verbatim("empty")),
            errors.FieldViolation("person.idNumber", i18n.verbatim("bad check digit"), "R2"),
        ]
    )
    assert [v.field for v in error.violations] == ["person.name", "person.idNumber"]
    assert error.rule == "R2"
    assert error.text.render("zh-CN") == "请求中有 2 处错误，见各字段说明"
