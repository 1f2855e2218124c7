"""The dashboard's page and assets: served without a token, out of the OpenAPI document, shipped
with the package (no CDN), and the vendored Chart.js is the file its checksum records.

The page itself runs in a real browser in tests/integration/test_reporting_dashboard.py.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from reporting_harness import running_reporting

from coulisse.reporting.entrypoints.dashboard import STATIC

SERVICE = Path(__file__).resolve().parents[2]
CHART_JS = STATIC / "vendor" / "chart.js"


class References(HTMLParser):
    """Every `src` and `href` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    page = References()
    page.feed(html)
    return page.found


def test_the_vendored_chart_js_is_the_file_its_checksum_records() -> None:
    recorded: dict[str, str] = {}
    for line in (CHART_JS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        recorded[name] = digest
    for name, digest in recorded.items():
        assert hashlib.sha256((CHART_JS / name).read_bytes()).hexdigest() == digest, name
    assert "chart.umd.min.js" in recorded
    assert "MIT License" in (CHART_JS / "LICENSE.md").read_text()


def test_the_readme_names_the_vendored_version() -> None:
    header = (CHART_JS / "chart.umd.min.js").read_text()[:200]
    version = re.search(r"Chart\.js v(\d+\.\d+\.\d+)", header)
    assert version is not None
    assert f"chart.js@{version[1]}" in (SERVICE / "README.md").read_text()


def test_the_page_loads_nothing_from_another_site() -> None:
    found = references((STATIC / "dashboard.html").read_text())
    assert found and all(ref.startswith("/static/") for ref in found), found
    for script in (STATIC / "js").glob("*.js"):
        imported = re.findall(r"""^import .* from ["'](.+)["'];$""", script.read_text(), re.M)
        assert all(path.startswith("./") for path in imported), (script.name, imported)
        assert "http://" not in script.read_text() and "https://" not in script.read_text()


async def test_the_page_and_its_assets_need_no_token_and_stay_out_of_the_api(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.sqlite'}"
    async with running_reporting(url) as reporting:
        client = reporting.client
        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        for ref in references(page.text):
            asset = await client.get(ref)
            assert asset.status_code == 200, ref
        script = await client.get("/static/js/main.js")
        assert script.headers["content-type"].startswith(
            ("text/javascript", "application/javascript")
        )
        # The data is not: every call the page makes carries the token.
        assert (await client.get("/v1/reports/pulse")).status_code == 401
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert "/" not in paths and not any(p.startswith("/static") for p in paths)
