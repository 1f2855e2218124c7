"""Demo data: a small French company's customers and their requests, loaded over the public API.

Everything goes through HTTP like a front end would: the events reach Kafka and every other
service. Loading twice changes nothing: existing records are found by a natural key (email,
subject) and every creation carries an `Idempotency-Key`.

Names, SIRENs and VAT numbers are invented (valid check digits); phone numbers are in the ranges
ARCEP reserves for fiction; email domains are under `example.fr`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import httpx

Kind = Literal["person", "company"]
Category = Literal[
    "billing_question", "refund", "dispute", "payment_arrangement", "address_change", "other"
]
Channel = Literal["phone", "email", "web", "store", "mail", "chat"]


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str = "FR"
    line2: str | None = None


@dataclass(frozen=True)
class DemoCustomer:
    key: str
    kind: Kind
    display_name: str
    email: str
    phone: str | None
    address: Address
    country: str = "FR"
    siren: str | None = None
    vat_number: str | None = None
    payment_terms_days: int = 30

    def body(self) -> dict[str, Any]:
        body = asdict(self)
        del body["key"]
        body["address"] = {k: v for k, v in asdict(self.address).items() if v is not None}
        return {k: v for k, v in body.items() if v is not None}


@dataclass(frozen=True)
class DemoRequest:
    key: str
    customer: str
    """The `key` of a DemoCustomer."""
    category: Category
    subject: str
    description: str
    channel: Channel
    then: Sequence[tuple[str, str | None]] = field(default_factory=tuple)
    """Status changes applied after opening, each with its resolution (needed when closing)."""

    def body(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "subject": self.subject,
            "description": self.description,
            "channel": self.channel,
        }


CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "boulangerie-martin",
        "company",
        "Boulangerie Martin & Fils",
        "compta@boulangerie-martin.example.fr",
        "+33 4 99 00 12 34",
        Address("12 rue de la République", "69002", "Lyon"),
        siren="842159378",
        vat_number="FR44842159378",
        payment_terms_days=30,
    ),
    DemoCustomer(
        "menuiserie-dubois",
        "company",
        "Atelier Dubois Menuiserie",
        "contact@menuiserie-dubois.example.fr",
        "+33 2 99 00 45 67",
        Address("8 quai de la Fosse", "44000", "Nantes"),
        siren="793548124",
        vat_number="FR59793548124",
        payment_terms_days=45,
    ),
    DemoCustomer(
        "transports-lefevre",
        "company",
        "Transports Lefèvre SAS",
        "factures@transports-lefevre.example.fr",
        "+33 3 99 00 78 90",
        Address("ZI des Près", "59650", "Villeneuve-d'Ascq", line2="Bâtiment C"),
        siren="512374869",
        vat_number="FR54512374869",
        payment_terms_days=60,
    ),
    DemoCustomer(
        "moreau-architectes",
        "company",
        "Cabinet Moreau Architectes",
        "administration@moreau-architectes.example.fr",
        "+33 5 99 00 23 45",
        Address("27 cours de l'Intendance", "33000", "Bordeaux"),
        siren="890124530",
        vat_number="FR74890124530",
        payment_terms_days=30,
    ),
    DemoCustomer(
        "hotel-grand-rivage",
        "company",
        "Hôtel Le Grand Rivage",
        "direction@grand-rivage.example.fr",
        "+33 4 99 00 56 78",
        Address("105 promenade des Anglais", "06000", "Nice"),
        siren="403187529",
        vat_number="FR50403187529",
        payment_terms_days=30,
    ),
    DemoCustomer(
        "librairie-fontaine",
        "company",
        "Librairie Fontaine",
        "librairie@fontaine-livres.example.fr",
        "+33 5 99 00 89 01",
        Address("3 place du Capitole", "31000", "Toulouse"),
        siren="823764196",
        vat_number="FR29823764196",
        payment_terms_days=15,
    ),
    DemoCustomer(
        "brasserie-de-smet",
        "company",
        "Brasserie De Smet",
        "boekhouding@brasserie-desmet.example.be",
        "+32 2 555 01 23",
        Address("Rue Haute 142", "1000", "Bruxelles", country="BE"),
        country="BE",
        vat_number="BE0456789133",
        payment_terms_days=30,
    ),
    DemoCustomer(
        "camille-bernard",
        "person",
        "Camille Bernard",
        "camille.bernard@example.fr",
        "+33 6 39 98 10 21",
        Address("41 boulevard Voltaire", "75011", "Paris", line2="Escalier B, 3e étage"),
        payment_terms_days=0,
    ),
    DemoCustomer(
        "julien-petit",
        "person",
        "Julien Petit",
        "julien.petit@example.fr",
        "+33 6 39 98 32 43",
        Address("5 rue des Juifs", "67000", "Strasbourg"),
        payment_terms_days=0,
    ),
    DemoCustomer(
        "lea-rousseau",
        "person",
        "Léa Rousseau",
        "lea.rousseau@example.fr",
        "+33 6 39 98 54 65",
        Address("18 rue de Saint-Malo", "35000", "Rennes"),
        payment_terms_days=0,
    ),
    DemoCustomer(
        "hugo-garnier",
        "person",
        "Hugo Garnier",
        "hugo.garnier@example.fr",
        None,
        Address("9 rue de l'Aiguillerie", "34000", "Montpellier"),
        payment_terms_days=0,
    ),
    DemoCustomer(
        "manon-chevalier",
        "person",
        "Manon Chevalier",
        "manon.chevalier@example.fr",
        "+33 6 39 98 76 87",
        Address("22 avenue Alsace-Lorraine", "38000", "Grenoble"),
        payment_terms_days=0,
    ),
)

REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest(
        "martin-duplicate-invoice",
        "boulangerie-martin",
        "billing_question",
        "Facture de mars reçue en double",
        "Nous avons reçu deux fois la facture de mars ; laquelle faut-il régler ?",
        "email",
        then=(("resolved", "Doublon d'envoi : une seule facture est due, l'autre est annulée."),),
    ),
    DemoRequest(
        "dubois-payment-plan",
        "menuiserie-dubois",
        "payment_arrangement",
        "Demande d'échéancier sur trois mois",
        "Suite à un retard de paiement d'un client, nous souhaitons régler en trois fois.",
        "phone",
        then=(("in_progress", None),),
    ),
    DemoRequest(
        "lefevre-dispute",
        "transports-lefevre",
        "dispute",
        "Contestation des frais de relance",
        "Les frais de relance appliqués ne correspondent pas à nos conditions contractuelles.",
        "mail",
        then=(("in_progress", None), ("waiting_customer", None)),
    ),
    DemoRequest(
        "moreau-address",
        "moreau-architectes",
        "address_change",
        "Nouvelle adresse de facturation",
        "Le cabinet déménage au 14 rue Sainte-Catherine, 33000 Bordeaux, au 1er du mois.",
        "web",
    ),
    DemoRequest(
        "grand-rivage-refund",
        "hotel-grand-rivage",
        "refund",
        "Remboursement d'un trop-perçu",
        "Notre virement de 1 250,00 € a été passé deux fois ; merci de rembourser le doublon.",
        "email",
        then=(("in_progress", None),),
    ),
    DemoRequest(
        "fontaine-vat",
        "librairie-fontaine",
        "billing_question",
        "Taux de TVA sur les livres",
        "La dernière facture applique 20 % de TVA au lieu de 5,5 % sur les ouvrages.",
        "chat",
    ),
    DemoRequest(
        "de-smet-vat-number",
        "brasserie-de-smet",
        "other",
        "Mention du numéro de TVA intracommunautaire",
        "Merci de faire figurer notre numéro de TVA belge sur les factures (autoliquidation).",
        "email",
        then=(("resolved", "Numéro de TVA ajouté à la fiche client ; mention d'autoliquidation."),),
    ),
    DemoRequest(
        "bernard-refund",
        "camille-bernard",
        "refund",
        "Remboursement d'une commande annulée",
        "Commande annulée le jour même, toujours pas remboursée après deux semaines.",
        "phone",
    ),
    DemoRequest(
        "petit-dispute",
        "julien-petit",
        "dispute",
        "Prestation facturée mais non réalisée",
        "L'intervention du 12 n'a jamais eu lieu mais figure sur ma facture.",
        "store",
        then=(("rejected", "L'intervention a bien eu lieu : bon d'intervention signé fourni."),),
    ),
    DemoRequest(
        "rousseau-address",
        "lea-rousseau",
        "address_change",
        "Changement d'adresse",
        "Je déménage au 7 place des Lices, 35000 Rennes.",
        "web",
        then=(("resolved", "Adresse mise à jour."),),
    ),
)


@dataclass
class DemoReport:
    customers_created: int = 0
    customers_found: int = 0
    requests_created: int = 0
    requests_found: int = 0
    status_changes: int = 0
    customers: list[dict[str, Any]] = field(default_factory=list)
    """The demo customers as the customer API returns them, for the other services' demos."""
    requests: dict[str, str] = field(default_factory=dict)
    """The demo requests' ids by their `key`: the billing demo's refund names the request it
    answers."""


def _check(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


async def _customer_id(client: httpx.AsyncClient, customer: DemoCustomer) -> str | None:
    found = _check(
        await client.get("/v1/customers", params={"q": customer.email, "limit": 50}),
        f"searching {customer.email}",
    )
    for item in found.get("items", []):
        if item.get("email") == customer.email:
            return str(item["id"])
    return None


async def _request_state(
    client: httpx.AsyncClient, customer_id: str, subject: str
) -> dict[str, Any] | None:
    found = _check(
        await client.get("/v1/requests", params={"customer_id": customer_id, "limit": 500}),
        f"listing requests of {customer_id}",
    )
    for item in found.get("items", []):
        if item.get("subject") == subject:
            return dict(item)
    return None


async def load(
    customer_url: str,
    token: str,
    customers: Sequence[DemoCustomer] = CUSTOMERS,
    requests: Sequence[DemoRequest] = REQUESTS,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DemoReport:
    report = DemoReport()
    headers = {"Authorization": f"Bearer {token}"}
    ids: dict[str, str] = {}
    async with httpx.AsyncClient(
        base_url=customer_url, headers=headers, timeout=15, transport=transport
    ) as client:
        for customer in customers:
            existing = await _customer_id(client, customer)
            if existing is not None:
                ids[customer.key] = existing
                report.customers_found += 1
                continue
            created = _check(
                await client.post(
                    "/v1/customers",
                    json=customer.body(),
                    headers={"Idempotency-Key": f"demo-customer-{customer.key}"},
                ),
                f"creating customer {customer.key}",
            )
            ids[customer.key] = str(created["id"])
            report.customers_created += 1
        for request in requests:
            customer_id = ids[request.customer]
            state = await _request_state(client, customer_id, request.subject)
            if state is None:
                state = _check(
                    await client.post(
                        f"/v1/customers/{customer_id}/requests",
                        json=request.body(),
                        headers={"Idempotency-Key": f"demo-request-{request.key}"},
                    ),
                    f"opening request {request.key}",
                )
                report.requests_created += 1
            else:
                report.requests_found += 1
            report.requests[request.key] = str(state["id"])
            statuses = ["open", *(status for status, _ in request.then)]
            current = str(state["status"])
            if current not in statuses:
                continue  # someone moved it elsewhere by hand: leave it
            for status, resolution in request.then[statuses.index(current) :]:
                body: dict[str, Any] = {"status": status}
                if resolution is not None:
                    body["resolution"] = resolution
                _check(
                    await client.patch(f"/v1/requests/{state['id']}", json=body),
                    f"moving request {request.key} to {status}",
                )
                report.status_changes += 1
        for customer_id in ids.values():
            report.customers.append(
                _check(await client.get(f"/v1/customers/{customer_id}"), "reading a customer")
            )
    return report
