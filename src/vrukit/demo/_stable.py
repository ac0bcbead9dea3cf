"""The same files on every machine: orderings, numbers and workbooks that do not depend on the
CPU, the BLAS build or the process.

numpy picks its vectorised kernels by CPU (AVX-512 on one machine, AVX2 on another), and they
differ in the last bit of ``exp``, ``log`` and sums, and in the order ``argsort`` gives equal
keys. Nothing the demo writes may depend on either, so the generator

- orders and ranks by keys rounded well above that noise, with a stable sort (ties keep their
  index order);
- writes floats rounded to what the real files publish, and truth figures to ten significant
  digits;
- stamps workbooks with the date the data stand for, not the moment they were written.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from vrukit import jsonio

#: Decimal places kept in a sort key: far above a few units in the last place of a double.
KEY_DECIMALS = 9
#: Significant digits kept in a truth figure.
TRUTH_DIGITS = 10


def order(values: np.ndarray, *, descending: bool = False) -> np.ndarray:
    """Indices that sort ``values``, ties in index order, blind to last-bit differences.

    Examples
    --------
    >>> order(np.array([2.0, 1.0 + 1e-15, 1.0, 3.0])).tolist()
    [1, 2, 0, 3]
    >>> order(np.array([2.0, 1.0, 3.0]), descending=True).tolist()
    [2, 0, 1]
    """
    key = np.round(np.asarray(values, dtype=float), KEY_DECIMALS)
    return np.argsort(-key if descending else key, kind="stable")


def figure(value: Any) -> Any:
    """``value`` with every float rounded to ``TRUTH_DIGITS`` significant digits (recursively).

    >>> figure({"a": [1213449.213707129, 2], "b": 1.5683121854901687})
    {'a': [1213449.214, 2], 'b': 1.568312185}
    """
    if isinstance(value, dict):
        return {k: figure(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [figure(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(f"{float(value):.{TRUTH_DIGITS}g}")
    return value


def json_text(value: Any, *, indent: int | None = 1) -> str:
    """JSON of ``value`` with its floats as ``figure`` rounds them."""
    return jsonio.dumps(figure(value), indent=indent)


_CORE_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def stamp_workbook(path: Path, when: date) -> None:
    """Rewrite the workbook at ``path`` so that its bytes depend only on its content and
    ``when``: every zip entry dated ``when`` and the document's created/modified set to it
    (openpyxl writes the time of writing into both)."""
    stamp = f"{when.isoformat()}T00:00:00Z".encode()
    source = zipfile.ZipFile(BytesIO(path.read_bytes()))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_STAMP.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, (when.year, when.month, when.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, data)
    path.write_bytes(out.getvalue())
