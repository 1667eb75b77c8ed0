"""The playground: a framework-free page over the public API, served as static files (no auth, no key inside)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "playground"
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8"}
# The page talks only to this gateway and loads nothing from elsewhere (air-gapped installs).
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _asset(name: str) -> FileResponse:
    path = STATIC_DIR / name
    if path.suffix not in MEDIA_TYPES or path.parent != STATIC_DIR or not path.is_file():
        raise HTTPException(404, f"no playground file {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=HEADERS)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/playground/")


@router.get("/playground")
async def playground_no_slash() -> RedirectResponse:
    return RedirectResponse("/playground/")


@router.get("/playground/")
async def playground() -> FileResponse:
    """The page itself; it asks for an API key only when the gateway requires one."""
    return _asset("index.html")


@router.get("/playground/{name}")
async def playground_asset(name: str) -> FileResponse:
    return _asset(name)
