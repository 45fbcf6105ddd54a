"""Write resources/schema/assessment.schema.json from the model (databorder.schema).

Why a script: the schema is derived from desktop/databorder/model.py and never edited by hand, so changing a
field, a Literal or a constraint there and running this is the whole change; tests/schema/test_schema.py fails
while the committed file differs from what this writes. Usage (from any folder, no install needed):

    python3 packaging/build_schema.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT / "desktop"))  # this checkout's model, whatever an installed copy says
    from databorder.schema import schema_text

    out = ROOT / "resources" / "schema" / "assessment.schema.json"
    text = schema_text()
    if out.read_text(encoding="utf-8") == text:
        print(f"{out.relative_to(ROOT)} is up to date")
        return
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)} ({len(text):,} characters)")


if __name__ == "__main__":
    main()
