"""The rules of collections: dunning policy, receivables, the dunning engine, late-payment charges,
promises to pay, payment plans and disputes. Pure: dates and amounts come in as parameters, facts
go out as event payloads; no database, no network, no clock."""
