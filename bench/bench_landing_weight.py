"""The QR landing page's weight on a weak mobile link (printed, not asserted).

Fetches /p/<code> as a phone would, then every resource the page references
(stylesheets, scripts, images, icons), and prints the total bytes and any
reference to another host. Target: under 30 kB, no other host.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def main() -> None:
    from factories import gen_campaign, gen_service_point, gen_unit
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db

    folder = tempfile.mkdtemp(prefix="survey-bench-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
            "SECRET_KEY": "bench-secret-0123",
        }
    )
    with app.app_context():
        upgrade()
        unit = gen_unit(code="zwfw", name="省政务服务中心")
        gen_campaign([unit])
        gen_service_point(unit, code="zwfw-a1")
        db.session.commit()
    client = app.test_client()
    page = client.get("/p/zwfw-a1", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    total = len(page.data)
    others: list[str] = []
    rows = [("/p/zwfw-a1", len(page.data))]
    for ref in REFERENCE.findall(html):
        if ref.startswith(("data:", "#", "?")):
            continue
        url = urljoin("http://127.0.0.1/p/zwfw-a1", ref)
        if urlsplit(url).hostname not in ("127.0.0.1", None):
            others.append(ref)
            continue
        if urlsplit(ref).path.startswith("/p/") or ref.startswith("/k/"):
            continue  # a link, not a resource the page loads
        resource = client.get(urlsplit(url).path)
        rows.append((ref, len(resource.data)))
        total += len(resource.data)
    for name, size in rows:
        print(f"{size:>8} B  {name}")
    print(f"landing page total: {total} bytes ({total / 1024:.1f} kB; target under 30 kB)")
    print(f"requests to other hosts: {len(others)} {others if others else ''}")


if __name__ == "__main__":
    main()
