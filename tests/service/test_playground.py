"""The playground page: served without a key, never carrying one, loading nothing from other hosts."""

import re
from collections.abc import Callable

from service.routes.playground import STATIC_DIR

KEY = "sk-playground-secret"


async def test_page_and_assets_are_served_without_a_key(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings(dev_mode=False, api_keys=[KEY])) as client:
        for path in ("/", "/playground"):
            r = await client.get(path)
            assert r.status_code == 307 and r.headers["location"] == "/playground/"
        page = await client.get("/playground/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "connect-src 'self'" in page.headers["content-security-policy"]
        assert KEY not in page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sorted(assets) == ["app.js", "style.css"]
        for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
            r = await client.get(f"/playground/{name}")
            assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
            assert KEY not in r.text
        assert (await client.get("/v1/models")).status_code == 401  # the API itself still needs the key


async def test_only_the_page_files_are_served(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings()) as client:
        for path in ("/playground/missing.js", "/playground/..%2F..%2Fsettings.py", "/playground/%2E%2E"):
            r = await client.get(path)
            assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"


def test_no_external_urls_fonts_or_scripts() -> None:
    """Air-gapped installs: every file talks only to the gateway it came from."""
    files = sorted(p for p in STATIC_DIR.iterdir() if p.suffix in (".html", ".js", ".css"))
    assert [p.name for p in files] == ["app.js", "index.html", "style.css"]
    for path in files:
        text = path.read_text()
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text, re.I), path.name
