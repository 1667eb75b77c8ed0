"""Small documents of every supported format, written by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        content_id = len(objects) + 2
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
                       f"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
        kids.append(f"{len(objects) - 1} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_mixed_corpus(folder: Path) -> Path:
    """One file per format, a duplicate, and a corrupt PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "guide.md").write_text("# Solar guide\n\nThe heliostat array tracks the sun from dawn to dusk.\n\n"
                                     "Mirrors are washed every Tuesday with demineralised water.\n")
    (folder / "notes.txt").write_text("The wind turbine gearbox is inspected after 4000 operating hours.\n")
    (folder / "copy.txt").write_text("The wind turbine gearbox is inspected after 4000 operating hours.\n")
    (folder / "page.html").write_text(
        "<html><head><title>Battery storage</title><script>var tracking = 'boilerplate';</script></head>"
        "<body><nav>Home | About | Contact</nav><main><h1>Battery storage</h1>"
        "<p>The <b>flow battery</b> stores vanadium electrolyte in two tanks.</p></main>"
        "<footer>Copyright cookie banner</footer></body></html>")
    (folder / "manual.pdf").write_bytes(pdf_bytes(["The hydro dam spillway opens at 312 metres.",
                                                   "Turbine seven was rebuilt in 2019."]))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf at all\n")
    records = [{"text": "Geothermal wells reach 3 kilometres below the plant.", "title": "Geothermal",
                "url": "https://example.org/geo"},
               {"content": "Tidal barrages generate power on both the flood and the ebb.", "title": "Tidal"}]
    (folder / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return folder
