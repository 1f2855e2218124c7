"""The documents a notice is delivered as: an e-mail (text and HTML parts) or a PDF letter.

Pure: everything a document says is in `NoticeDocument`, built by the sender from the notice,
its recipient, the creditor's identity and the rate in force; rendering reads no clock, database
or network. Customer-facing wording is French (the creditor and its debtors are French).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

import jinja2
from fpdf import FPDF

from ..domain.engine import Notice
from ..domain.recipients import NoticeRecipient

NBSP = "\u00a0"
"""Between the digits of an amount and before its currency sign: kept on one line."""


class InvalidRecipient(ValueError):
    """The recipient's e-mail address cannot be written in a message."""


@dataclass(frozen=True)
class Creditor:
    """Who is owed: printed on every document."""

    name: str
    address: str
    siren: str
    iban: str
    bic: str


@dataclass(frozen=True)
class NoticeDocument:
    """What a notice's document says."""

    notice: Notice
    recipient: NoticeRecipient
    creditor: Creditor
    issued_on: date
    deadline: date
    """The day to pay by."""
    penalty_rate: Decimal | None
    """Annual, in percent; None: the legal interest rate applies."""
    indemnity: Decimal | None
    """The fixed recovery indemnity per invoice, owed by professional customers only."""

    @property
    def formal(self) -> bool:
        return self.notice.channel == "formal_notice"

    @property
    def before_due(self) -> bool:
        """A reminder sent before any of its invoices is due."""
        return all(line.days_late <= 0 for line in self.notice.lines)

    @property
    def title(self) -> str:
        if self.formal:
            return "Mise en demeure de payer"
        if self.before_due:
            return "Rappel d'échéance"
        return "Relance de paiement"

    @property
    def subject(self) -> str:
        numbers = [line.invoice_number for line in self.notice.lines]
        shown = ", ".join(numbers[:3]) + (", …" if len(numbers) > 3 else "")
        invoices = "facture" if len(numbers) == 1 else "factures"
        return (
            f"{self.title} – {invoices} {shown} – {euros(self.notice.amount_due)} "
            f"({self.creditor.name})"
        )


# -- formats ------------------------------------------------------------------------------------


def euros(amount: Decimal) -> str:
    """1 234,50 € (French grouping and decimal comma)."""
    grouped = f"{amount:,.2f}".replace(",", NBSP).replace(".", ",")
    return f"{grouped}{NBSP}€"


def percent(rate: Decimal) -> str:
    return f"{rate:.2f}".replace(".", ",") + f"{NBSP}%"


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def days_late_text(days: int) -> str:
    if days <= 0:
        return "à échoir"
    return "1 jour" if days == 1 else f"{days} jours"


# -- what every document says -------------------------------------------------------------------


def wording(document: NoticeDocument) -> dict[str, Any]:
    """The sentences and figures of a notice, the same in the e-mail and the letter."""
    notice, creditor = document.notice, document.creditor
    total = euros(notice.amount_due)
    deadline = french_date(document.deadline)
    if document.before_due:
        intro = "Nous vous rappelons que les factures ci-dessous arrivent prochainement à échéance."
    elif document.formal:
        intro = (
            "Malgré nos précédentes relances, les factures ci-dessous restent impayées à ce jour."
        )
    else:
        intro = (
            "Sauf erreur ou omission de notre part, les factures ci-dessous restent impayées "
            "à ce jour."
        )
    if document.formal:
        request = (
            f"Par la présente, nous vous mettons en demeure de nous régler la somme de {total} "
            f"au plus tard le {deadline}. À défaut de règlement dans ce délai, nous engagerons "
            "une procédure de recouvrement judiciaire, sans autre avis."
        )
    else:
        request = (
            f"Nous vous remercions de bien vouloir en régler le montant, soit {total}, "
            f"au plus tard le {deadline}."
        )
    if document.penalty_rate is None:
        rate_text = "le taux d'intérêt légal en vigueur"
        penalty = (
            "En cas de retard de paiement, des pénalités de retard sont dues au taux "
            "d'intérêt légal en vigueur"
        )
    else:
        rate_text = percent(document.penalty_rate)
        penalty = (
            "En cas de retard de paiement, des pénalités de retard sont dues au taux annuel de "
            f"{percent(document.penalty_rate)}"
        )
    if document.indemnity is not None:
        penalty += (
            ", ainsi qu'une indemnité forfaitaire pour frais de recouvrement de "
            f"{euros(document.indemnity)} par facture (articles L441-10 et D441-5 du Code de "
            "commerce)."
        )
    else:
        penalty += "."
    return {
        "title": document.title,
        "formal": document.formal,
        "name": document.recipient.display_name or "",
        "intro": intro,
        "lines": [
            {
                "number": line.invoice_number,
                "due_date": french_date(line.due_date),
                "amount": euros(line.amount_due),
                "days_late": days_late_text(line.days_late),
            }
            for line in notice.lines
        ],
        "total": total,
        "situation_on": french_date(notice.sent_on),
        "issued_on": french_date(document.issued_on),
        "deadline": deadline,
        "request": request,
        "payment": (
            f"Règlement par virement : IBAN {creditor.iban}, BIC {creditor.bic}, en rappelant "
            "les numéros de facture."
        ),
        "rate_text": rate_text,
        "indemnity": None if document.indemnity is None else euros(document.indemnity),
        "penalty": penalty,
        "closing": (
            None
            if document.formal
            else "Si votre règlement nous est parvenu entre-temps, merci de ne pas tenir compte "
            "de ce rappel."
        ),
        "creditor": creditor,
        "legal": f"{creditor.name} – {creditor.address} – SIREN {creditor.siren}",
    }


# -- the e-mail ---------------------------------------------------------------------------------

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("coulisse.collections.application", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_email(
    document: NoticeDocument, *, sender: str, to: str, message_id: str, sent_at: datetime
) -> bytes:
    """The e-mail as it goes over SMTP (CRLF line ends): a text and an HTML part."""
    context = wording(document)
    try:
        recipient = Address(display_name=document.recipient.display_name or "", addr_spec=to)
    except (HeaderParseError, IndexError, ValueError) as exc:
        raise InvalidRecipient(f"the e-mail address {to!r} is not valid") from exc
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = document.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    message.set_content(_templates.get_template("notice_email.txt").render(context))
    message.add_alternative(
        _templates.get_template("notice_email.html").render(context), subtype="html"
    )
    try:
        return message.as_bytes()
    except MessageError as exc:  # e.g. an address the header cannot carry
        raise InvalidRecipient(str(exc)) from exc


# -- the letter ---------------------------------------------------------------------------------


# Letters that lose nothing but a stroke, which Unicode does not decompose.
_STROKED = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def _latin(text: str) -> str:
    """What the PDF's standard fonts can draw (Windows-1252): accents are kept, other letters
    lose their marks, and what has no equivalent becomes '?'."""
    kept = []
    for char in unicodedata.normalize("NFC", text).translate(_STROKED):
        if _drawable(char):
            kept.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if _drawable(c))
        kept.append(plain if plain.strip() else "?")
    return "".join(kept)


def _drawable(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return not unicodedata.combining(char)


class _Letter(FPDF):
    def __init__(self, legal: str) -> None:
        super().__init__(format="A4")
        self.legal = legal

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, _latin(self.legal), align="C")


def render_pdf(document: NoticeDocument) -> bytes:
    """The letter or formal notice as a PDF, ready to be printed and posted."""
    words = wording(document)
    creditor = document.creditor
    pdf = _Letter(words["legal"])
    pdf.core_fonts_encoding = "windows-1252"
    # Dated by the document, not by the machine: the same notice makes the same bytes.
    issued = document.issued_on
    pdf.set_creation_date(datetime(issued.year, issued.month, issued.day, tzinfo=UTC))
    pdf.set_title(_latin(words["title"]))
    pdf.set_author(_latin(creditor.name))
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, _latin(text), new_x="LMARGIN", new_y="NEXT")

    # The creditor, top left; the recipient where a window envelope shows it.
    line(creditor.name, size=13, style="B", height=6)
    line(creditor.address, size=9, height=4.5)
    line(f"SIREN {creditor.siren}", size=9, height=4.5)
    pdf.set_xy(110, 45)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(80, 5, _latin(words["name"]), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    address = document.recipient.address
    for text in address.lines() if address is not None else []:
        pdf.multi_cell(80, 5, _latin(text), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), 80) + 6)
    line(f"Le {words['issued_on']}")
    if document.formal:
        line("Lettre recommandée avec accusé de réception", style="I")
    pdf.ln(4)
    line(
        words["title"].upper() if document.formal else words["title"], size=14, style="B", height=7
    )
    line(
        "Objet : " + ", ".join(f"facture {ln['number']}" for ln in words["lines"]),
        style="B",
    )
    pdf.ln(3)
    line("Madame, Monsieur,")
    pdf.ln(2)
    line(words["intro"])
    pdf.ln(3)

    # The invoices: number, due date, amount due, days late (on the notice's date).
    columns = (
        ("Facture", 45, "L"),
        ("Échéance", 35, "L"),
        ("Montant dû", 45, "R"),
        ("Retard", 45, "R"),
    )
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_fill_color(235, 235, 235)
    for title, col_width, align in columns:
        pdf.cell(col_width, 7, _latin(title), border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for invoice in words["lines"]:
        values = (invoice["number"], invoice["due_date"], invoice["amount"], invoice["days_late"])
        for (_, col_width, align), value in zip(columns, values, strict=True):
            pdf.cell(col_width, 6, _latin(value), align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(columns[0][1] + columns[1][1], 7, "Total dû", border="T")
    pdf.cell(columns[2][1], 7, _latin(words["total"]), border="T", align="R")
    pdf.cell(columns[3][1], 7, "", border="T")
    pdf.ln()
    line(f"Situation au {words['situation_on']}.", size=8, style="I", height=4)
    pdf.ln(4)

    line(words["request"])
    pdf.ln(2)
    line(f"Date limite de paiement : {words['deadline']}", style="B")
    pdf.ln(2)
    line(words["payment"])
    pdf.ln(2)
    line(f"Taux annuel des pénalités de retard : {words['rate_text']}", style="B")
    if words["indemnity"] is not None:
        line(f"Indemnité forfaitaire pour frais de recouvrement : {words['indemnity']}", style="B")
    line(words["penalty"], size=9, height=4.5)
    if words["closing"]:
        pdf.ln(2)
        line(words["closing"])
    pdf.ln(6)
    line("Veuillez agréer, Madame, Monsieur, nos salutations distinguées.")
    pdf.ln(4)
    line("Le service recouvrement")
    line(creditor.name, style="B")
    return bytes(pdf.output())
