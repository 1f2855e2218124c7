"""The rules file's format as pydantic models: a file is read whole, or refused with the key path
of every fault (`rules.billing.invoice.issued.v1.lines[2].account: ...`).

Besides the structure, the models check what can be checked without an event: every journal
and literal account a rule names is declared, and a line on a collective account names its
auxiliary account. They produce the domain's immutable rule objects, which the pure rule engine
runs; an account read from an event (a billing line's `revenue_account`) can only be checked
then, and an unknown one suspends that event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from ..domain.chart import ACCOUNT_PATTERN, Account, ChartOfAccounts, Journals
from ..domain.posting_rules import (
    AccountRef,
    EntryTemplate,
    LineTemplate,
    PostingRule,
    RuleBook,
    Side,
)

Location = tuple[str | int, ...]


class RuleBookError(ValueError):
    """The rules file is not one the gateway can read; `problems` are (key path, message)."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{where}: {message}" for where, message in self.problems))


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty text")
    return value


def _checked(pattern: str, expected: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"expected {expected}, not {value!r}")
        return value

    return AfterValidator(check)


# Strict texts throughout: YAML reads an unquoted 0411 as the number 265, and a date as a date.
Text = Annotated[StrictStr, AfterValidator(_non_blank)]
FieldPath = Annotated[
    StrictStr,
    _checked(
        r"^(\$\.)?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
        "a path (dotted field names; `$.` first reads the event inside `for_each`)",
    ),
]
AccountNumber = Annotated[
    StrictStr, _checked(ACCOUNT_PATTERN.pattern, "an account number of 3 to 12 digits, quoted")
]
AccountPrefix = Annotated[StrictStr, _checked(r"^[0-9]{1,12}$", "1 to 12 digits, quoted")]
# The books' `journal_code` column and the manual entries' schema take 2 to 6 capitals.
JournalCode = Annotated[StrictStr, _checked(r"^[A-Z]{2,6}$", "a journal code of 2 to 6 capitals")]
# Every entry records the version it was posted by (`rules_version`, 50 characters).
Version = Annotated[StrictStr, StringConstraints(max_length=50), AfterValidator(_non_blank)]


def _scalar(value: Any) -> str | int | bool | None:
    # Payload values compared by `when` are JSON texts, integers, booleans or null.
    if value is None or isinstance(value, str | int | bool):
        return value
    raise ValueError("expected a text, an integer, true, false or null")


Condition = dict[FieldPath, Annotated[str | int | bool | None, PlainValidator(_scalar)]]

_M = TypeVar("_M", bound=BaseModel)


def _text_or(model: type[_M], text: TypeAdapter[str]) -> Callable[[Any], str | _M]:
    """A value written either as a text or as a mapping: errors keep the plain key path."""

    def validate(value: Any) -> str | _M:
        if isinstance(value, Mapping):
            return model.model_validate(value)
        if not isinstance(value, str):
            raise ValueError("expected a text or a mapping")
        return text.validate_python(value)

    return validate


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AccountSpec(_Spec):
    label: Text
    # A collective account (411, 416): every line on it names the customer's auxiliary account.
    auxiliary: bool = False


class AccountFieldSpec(_Spec):
    """An account read from a payload field, with a default when the field is empty."""

    field: FieldPath
    default: AccountNumber | None = None


class LineSpec(_Spec):
    account: Annotated[
        str | AccountFieldSpec,
        PlainValidator(_text_or(AccountFieldSpec, TypeAdapter(AccountNumber))),
    ]
    debit: FieldPath | None = None
    credit: FieldPath | None = None
    auxiliary: FieldPath | None = None
    label: Text | None = None
    lettering: FieldPath | None = None
    when: Condition | None = None
    for_each: FieldPath | None = None
    group_by_account: bool = False

    @model_validator(mode="after")
    def _one_side(self) -> LineSpec:
        if (self.debit is None) == (self.credit is None):
            raise ValueError("a line has exactly one of `debit` or `credit`")
        if self.group_by_account and self.for_each is None:
            raise ValueError("`group_by_account` needs `for_each`")
        return self

    def references(self, chart: ChartOfAccounts, where: Location) -> Iterator[InitErrorDetails]:
        literal = self.account if isinstance(self.account, str) else None
        default = None if isinstance(self.account, str) else self.account.default
        for number, at in ((literal, ("account",)), (default, ("account", "default"))):
            if number is not None and not chart.knows(number):
                yield _problem(
                    (*where, *at),
                    "unknown_account",
                    f"account {number} is not under `accounts` nor covered by `accepted_prefixes`",
                    number,
                )
        account = chart.find(literal) if literal is not None else None
        if account is not None and account.auxiliary and self.auxiliary is None:
            yield _problem(
                (*where, "auxiliary"),
                "missing_auxiliary",
                f"required: account {account.number} is collective (auxiliary: true)",
                None,
            )

    def template(self) -> LineTemplate:
        side: Side = "debit" if self.debit is not None else "credit"
        amount = self.debit if self.debit is not None else self.credit
        assert amount is not None  # one side is required by `_one_side`
        return LineTemplate(
            account=(
                AccountRef(literal=self.account)
                if isinstance(self.account, str)
                else AccountRef(field=self.account.field, default=self.account.default)
            ),
            side=side,
            amount=amount,
            auxiliary=self.auxiliary,
            label=self.label,
            lettering=self.lettering,
            when=self.when,
            for_each=self.for_each,
            group_by_account=self.group_by_account,
        )


class EntrySpec(_Spec):
    """One entry template: `when` chooses it among a rule's cases."""

    when: Condition | None = None
    journal: JournalCode
    date: FieldPath
    piece: Text
    label: Text
    lines: list[LineSpec] = Field(min_length=1)

    def references(
        self, chart: ChartOfAccounts, journals: Mapping[str, str], where: Location
    ) -> Iterator[InitErrorDetails]:
        if self.journal not in journals:
            yield _problem(
                (*where, "journal"),
                "unknown_journal",
                f"journal {self.journal} is not under `journals`",
                self.journal,
            )
        for i, line in enumerate(self.lines):
            yield from line.references(chart, (*where, "lines", i))

    def template(self) -> EntryTemplate:
        return EntryTemplate(
            journal=self.journal,
            date=self.date,
            piece=self.piece,
            label=self.label,
            lines=tuple(line.template() for line in self.lines),
            when=self.when,
        )


class CasesSpec(_Spec):
    """Entry templates tried in order: the first whose `when` matches the event is used."""

    cases: list[EntrySpec] = Field(min_length=1)


class NoPostingSpec(_Spec):
    """The event moves no money: explicitly nothing to book."""

    no_posting: Literal[True]
    reason: Text


RuleSpec = NoPostingSpec | CasesSpec | EntrySpec


def _rule(value: Any) -> RuleSpec:
    # Chosen by its keys rather than tried in turn: the errors are then those of the form meant.
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping")
    if "no_posting" in value:
        return NoPostingSpec.model_validate(value)
    if "cases" in value:
        return CasesSpec.model_validate(value)
    return EntrySpec.model_validate(value)


class RulesFile(_Spec):
    """A whole rules file: the chart, the journals and one rule per event type."""

    version: Version
    description: StrictStr = ""
    accounts: dict[
        AccountNumber,
        Annotated[str | AccountSpec, PlainValidator(_text_or(AccountSpec, TypeAdapter(Text)))],
    ]
    accepted_prefixes: dict[AccountPrefix, Text] = Field(default_factory=dict)
    journals: dict[JournalCode, Text]
    rules: dict[Text, Annotated[RuleSpec, PlainValidator(_rule)]]

    @model_validator(mode="after")
    def _references(self) -> RulesFile:
        chart = self.chart()
        problems = [
            problem
            for event_type, rule in self.rules.items()
            for where, entry in _entries(rule, ("rules", event_type))
            for problem in entry.references(chart, self.journals, where)
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def chart(self) -> ChartOfAccounts:
        return ChartOfAccounts(
            accounts={
                number: (
                    Account(number, spec)
                    if isinstance(spec, str)
                    else Account(number, spec.label, auxiliary=spec.auxiliary)
                )
                for number, spec in self.accounts.items()
            },
            accepted_prefixes=dict(self.accepted_prefixes),
        )

    def rulebook(self, document: Mapping[str, Any]) -> RuleBook:
        """The domain's rule book; `document` is the file as written, kept for its digest."""
        return RuleBook(
            version=self.version,
            description=self.description,
            chart=self.chart(),
            journals=Journals(dict(self.journals)),
            rules={
                event_type: _posting_rule(event_type, rule)
                for event_type, rule in self.rules.items()
            },
            document=document,
        )


def _entries(rule: RuleSpec, where: Location) -> Iterator[tuple[Location, EntrySpec]]:
    if isinstance(rule, EntrySpec):
        yield where, rule
    elif isinstance(rule, CasesSpec):
        for i, case in enumerate(rule.cases):
            yield (*where, "cases", i), case


def _posting_rule(event_type: str, rule: RuleSpec) -> PostingRule:
    if isinstance(rule, NoPostingSpec):
        return PostingRule(event_type, no_posting=True, reason=rule.reason)
    return PostingRule(event_type, cases=tuple(entry.template() for _, entry in _entries(rule, ())))


def _problem(where: Location, kind: str, message: str, value: Any) -> InitErrorDetails:
    # The message goes through the context: a brace in it must not be read as a placeholder.
    error = PydanticCustomError(kind, "{message}", {"message": message})
    return InitErrorDetails(type=error, loc=where, input=value)


def parse_rulebook(document: Any) -> RuleBook:
    """The rule book a rules file's content (as YAML reads it) describes, or RuleBookError."""
    try:
        model = RulesFile.model_validate(document)
    except ValidationError as exc:
        raise RuleBookError([_described(error) for error in exc.errors()]) from None
    return model.rulebook(document)


_MESSAGES = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "string_type": "expected a text",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "too_short": "expected at least one item",
}


def _described(error: ErrorDetails) -> tuple[str, str]:
    message = _MESSAGES.get(error["type"])
    if message is None:
        cause = (error.get("ctx") or {}).get("error")
        message = str(cause) if error["type"] == "value_error" and cause else error["msg"]
    return key_path(error["loc"]), message


def key_path(loc: Sequence[str | int]) -> str:
    """`("rules", "billing.invoice.issued.v1", "lines", 2)` → `rules.billing.invoice.issued.v1.lines[2]`."""
    text = ""
    for i, part in enumerate(loc):
        if part == "[key]":
            continue  # the key itself is refused: it is the previous part
        key = i + 1 < len(loc) and loc[i + 1] == "[key]"
        text += f"[{part}]" if isinstance(part, int) and not key else f".{part}"
    return text.lstrip(".") or "(the file)"
