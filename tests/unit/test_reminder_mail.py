"""The reminder e-mail's two ways of being made: an EmailMessage flattened per message (mail.build), and the
batch's frame flattened once with each message's headers and payloads put in (mail.Frame) — the same bytes."""

import email.parser
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reminders import mail

BOUNDARY = "=_jnt.0123456789abcdef01234567"
FRAME = mail.Frame(BOUNDARY)

# Names and texts as users and kinds write them: Chinese, quotes, angle brackets, spaces, long runs; texts (the
# subject among them) with control characters and line breaks too, which both ways must refuse in a header.
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)  # line breaks too
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=60)


def headers(subject: str, name: str, delivery: int, domain: str = "jinengtong.example") -> list[tuple[str, str]]:
    return [("Subject", subject), ("From", mail.mailbox("技能通", "noreply@jinengtong.example")),
            ("Date", "Wed, 04 Nov 2026 01:00:00 +0000"), ("Auto-Submitted", "auto-generated"),
            ("To", mail.mailbox(name, "li@example.com")),
            ("Message-ID", f"<reminder-{delivery // 2}.delivery-{delivery}@{domain}>")]


@settings(max_examples=300, deadline=None)
@given(subject=text, name=names, body=text, html=text, delivery=st.integers(1, 10**12))
def test_the_frame_makes_the_very_bytes_an_email_message_per_message_makes(subject, name, body, html, delivery):
    try:
        expected = mail.build(headers(subject, name, delivery), body, html, BOUNDARY)
    except ValueError:
        with pytest.raises(ValueError):
            FRAME.message(headers(subject, name, delivery), body, html)
        return
    assert FRAME.message(headers(subject, name, delivery), body, html) == expected


def test_long_chinese_subjects_long_message_ids_and_empty_parts_fold_and_read_back_the_same():
    subject = "【技能通】提醒：" + "2026年上海市职业技能大赛 · 数控车 报名截止" * 4 + "（2026-11-04 09:00 截止）"
    made = headers(subject, "李 \"四\"", 7, domain="mail." + "x" * 70 + ".example")
    raw = FRAME.message(made, "", "<p>王 &lt;五&gt;，您好</p>")
    assert raw == mail.build(made, "", "<p>王 &lt;五&gt;，您好</p>", BOUNDARY)
    # Folded for SMTP (a Message-ID is one token: it may only be moved to a line of its own, never split).
    assert all(len(line) <= 78 for line in raw.split(b"\r\n") if b"@mail.xxx" not in line)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    assert message.defects == [] and str(message["Subject"]) == subject
    assert message["Message-ID"] == made[-1][1]
    assert [p.get_content() for p in message.iter_parts()] == ["", "<p>王 &lt;五&gt;，您好</p>"]


@pytest.mark.parametrize("header", ["Subject", "To", "Message-ID"])
def test_a_line_break_in_any_header_is_refused_by_both_ways(header):
    made = [(name, value + "\r\nBcc: victim@example.com" if name == header else value)
            for name, value in headers("提醒", "王五", 3)]
    with pytest.raises(ValueError):
        mail.build(made, "a", "b", BOUNDARY)
    with pytest.raises(ValueError):
        FRAME.message(made, "a", "b")
