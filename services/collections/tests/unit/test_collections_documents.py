"""The documents a notice is delivered as: the e-mail's text and HTML parts, and the PDF letter
read back with a PDF text extractor."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import pypdf
import pytest

from coulisse.collections.application.documents import (
    NBSP,
    Creditor,
    InvalidRecipient,
    NoticeDocument,
    render_email,
    render_pdf,
)
from coulisse.collections.domain.delivery import message_id_of
from coulisse.collections.domain.engine import Notice, NoticeLine
from coulisse.collections.domain.recipients import NoticeRecipient, PostalAddress
from coulisse.contracts.collections import DunningChannel

CREDITOR = Creditor(
    name="Coulisse Demo SAS",
    address="8 rue des Coulisses, 75009 Paris",
    siren="123456782",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPPXXX",
)
SENDER = "Coulisse Demo SAS <recouvrement@coulisse-demo.example>"
SENT_AT = datetime(2026, 2, 15, 8, 30, tzinfo=UTC)


def notice(channel: DunningChannel, *, days_late: tuple[int, int] = (30, 26)) -> Notice:
    return Notice(
        notice_id=uuid4(),
        customer_id=uuid4(),
        level=4 if channel == "formal_notice" else 2,
        level_name="Formal notice" if channel == "formal_notice" else "Reminder",
        channel=channel,
        sent_on=date(2026, 2, 15),
        lines=(
            NoticeLine(
                uuid4(), "F2025-000101", date(2026, 1, 16), Decimal("1000.00"), days_late[0]
            ),
            NoticeLine(
                uuid4(), "F2025-000102", date(2026, 1, 20), Decimal("12345.67"), days_late[1]
            ),
        ),
    )


def recipient(name: str = "Menuiserie Lefèvre SARL") -> NoticeRecipient:
    return NoticeRecipient(
        customer_id=uuid4(),
        display_name=name,
        email="compta@lefevre.example.fr",
        address=PostalAddress("14 avenue Jean Jaurès", "69007", "Lyon", "FR", line2="Bâtiment B"),
    )


def document(channel: DunningChannel = "email", **changes: Any) -> NoticeDocument:
    values: dict[str, Any] = {
        "notice": notice(channel),
        "recipient": recipient(),
        "creditor": CREDITOR,
        "issued_on": date(2026, 2, 15),
        "deadline": date(2026, 3, 2) if channel != "formal_notice" else date(2026, 2, 23),
        "penalty_rate": Decimal("12.15"),
        "indemnity": Decimal("40.00"),
        **changes,
    }
    return NoticeDocument(**values)


def email_of(found: NoticeDocument, to: str = "compta@lefevre.example.fr") -> EmailMessage:
    raw = render_email(
        found,
        sender=SENDER,
        to=to,
        message_id=message_id_of(found.notice.notice_id),
        sent_at=SENT_AT,
    )
    assert b"\r\n" in raw  # as it goes over SMTP
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert isinstance(body, EmailMessage) and body.get_content_subtype() == subtype
    return str(body.get_content()).replace(NBSP, " ")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")


# -- the e-mail ---------------------------------------------------------------------------------


def test_the_email_has_a_text_and_an_html_part_with_the_invoices_amounts_and_deadline() -> None:
    found = document("email")
    message = email_of(found)
    assert message["To"].addresses[0].addr_spec == "compta@lefevre.example.fr"
    assert message["To"].addresses[0].display_name == "Menuiserie Lefèvre SARL"
    assert message["From"] == SENDER
    # Folded onto a line of its own (78 characters a line): the parser keeps the fold's space.
    message_id = f"<notice-{found.notice.notice_id}@collections.coulisse.local>"
    assert message["Message-ID"].strip() == message_id
    assert message["Date"].datetime == SENT_AT
    subject = message["Subject"].replace(NBSP, " ")
    assert subject.startswith("Relance de paiement")
    assert "F2025-000101" in subject and "13 345,67 €" in subject
    for text in (part(message, "plain"), part(message, "html")):
        for expected in (
            "F2025-000101",
            "F2025-000102",
            "16/01/2026",
            "20/01/2026",
            "1 000,00 €",
            "12 345,67 €",
            "13 345,67 €",  # the total
            "30 jours",
            "02/03/2026",  # the deadline
            "12,15 %",
            "40,00 €",
            "FR76 3000 6000 0112 3456 7890 189",
            "SIREN 123456782",
        ):
            assert expected in text, expected


def test_the_html_part_escapes_what_the_customer_service_stated() -> None:
    found = document(recipient=recipient("Dupont & Fils <script>alert(1)</script>"))
    html = part(email_of(found), "html")
    assert "<script>" not in html
    assert "Dupont &amp; Fils &lt;script&gt;" in html
    assert "Dupont & Fils <script>" in part(email_of(found), "plain")


def test_a_reminder_before_the_due_date_says_so() -> None:
    early = document(notice=notice("email", days_late=(-3, -7)))
    message = email_of(early)
    assert message["Subject"].startswith("Rappel d'échéance")
    text = part(message, "plain")
    assert "arrivent prochainement à échéance" in text and "à échoir" in text


def test_a_resend_carries_the_same_message_id() -> None:
    found = document()
    first, again = email_of(found), email_of(found)
    assert first["Message-ID"] == again["Message-ID"]
    assert part(first, "plain") == part(again, "plain")


@pytest.mark.parametrize("address", ["not-an-address", "", "two words@example.fr"])
def test_an_address_that_cannot_be_written_is_refused(address: str) -> None:
    with pytest.raises(InvalidRecipient):
        email_of(document(), to=address)


# -- the PDF ------------------------------------------------------------------------------------


def test_a_formal_notice_pdf_has_every_figure() -> None:
    found = document("formal_notice")
    text = pdf_text(render_pdf(found))
    assert "MISE EN DEMEURE DE PAYER" in text
    assert "Lettre recommandée avec accusé de réception" in text
    for expected in (
        "Coulisse Demo SAS",
        "SIREN 123456782",
        "Menuiserie Lefèvre SARL",
        "14 avenue Jean Jaurès",
        "Bâtiment B",
        "69007 Lyon",
        "Le 15/02/2026",
        "F2025-000101",
        "F2025-000102",
        "16/01/2026",
        "20/01/2026",
        "1 000,00 €",
        "12 345,67 €",
        "13 345,67 €",
        "30 jours",
        "26 jours",
        "Taux annuel des pénalités de retard : 12,15 %",
        "Indemnité forfaitaire pour frais de recouvrement : 40,00 €",
        "Date limite de paiement : 23/02/2026",
        "FR76 3000 6000 0112 3456 7890 189",
    ):
        assert expected in text, expected


def test_a_letter_to_a_person_prints_the_legal_rate_and_no_indemnity() -> None:
    found = document("letter", penalty_rate=None, indemnity=None)
    text = pdf_text(render_pdf(found))
    assert "Relance de paiement" in text and "MISE EN DEMEURE" not in text
    assert "taux d'intérêt légal" in text
    assert "40,00" not in text and "Indemnité forfaitaire" not in text
    assert "Date limite de paiement : 02/03/2026" in text


def test_the_same_notice_makes_the_same_pdf() -> None:
    found = document("formal_notice")
    assert render_pdf(found) == render_pdf(found)


def test_letters_the_standard_fonts_lack_do_not_stop_the_pdf() -> None:
    found = document("letter", recipient=recipient("Łukasz Wróbel – 株式会社"))
    text = pdf_text(render_pdf(found))
    assert "Lukasz Wróbel" in text and "F2025-000101" in text
