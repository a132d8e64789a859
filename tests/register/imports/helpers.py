"""CSV files for the import tests: rows numbered by their price, so every row is findable."""

from __future__ import annotations

HEADER = (
    "purchase_ref,acquired_at,seller_name,seller_birth_date,seller_street,seller_house_number,"
    "seller_postcode,seller_city,id_document_type,id_document_number,id_document_country,"
    "category,brand,model,price_cents,imei,serial_number,frame_number"
)
SELLER = "Jan de Vries,1990-04-01,Kerkstraat,12a,1017 GC,Amsterdam,id_card,IXF123456,NL"


def numbered_rows(count: int, *, per_purchase: int = 2, bad: tuple[int, ...] = ()) -> list[str]:
    """``count`` rows of jewellery (no identifier needed), ``per_purchase`` to a purchase,
    row n priced n cents; the rows numbered in ``bad`` have a negative price."""
    rows = []
    for n in range(1, count + 1):
        ref = f"P{(n - 1) // per_purchase}"
        price = -n if n in bad else n
        rows.append(f"{ref},2026-11-27T09:00,{SELLER},jewellery,Brand,Ring {n},{price},,,")
    return rows


def csv_file(rows: list[str], newline: str = "\n") -> str:
    return newline.join([HEADER, *rows]) + newline


def post_file(api, user, text: str):
    return api.client.post(
        "/api/v1/purchases/import",
        data=text.encode(),
        content_type="text/csv",
        headers=api.headers(user),
    )
