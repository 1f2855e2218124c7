from coulisse.platform.idempotency import request_fingerprint


def test_fingerprint_ignores_key_order_and_spacing() -> None:
    a = request_fingerprint("POST", "/v1/customers", b'{"a": 1, "b": [1, 2]}')
    b = request_fingerprint("POST", "/v1/customers", b'{"b":[1,2],"a":1}')
    assert a == b


def test_fingerprint_depends_on_body_and_path() -> None:
    base = request_fingerprint("POST", "/v1/customers", b'{"a": 1}')
    assert base != request_fingerprint("POST", "/v1/customers", b'{"a": 2}')
    assert base != request_fingerprint("POST", "/v1/invoices", b'{"a": 1}')
