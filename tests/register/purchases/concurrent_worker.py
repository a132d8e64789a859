"""One process of the concurrency test: registers N purchases through the app's API.

Run as ``python -m tests.register.purchases.concurrent_worker DB_URI TOKEN COUNT START_AT``.
"""

from __future__ import annotations

import sys
import time


def main(database_uri: str, token: str, count: int, start_at: float) -> int:
    from register import create_app
    from register.clock import FakeClock
    from tests.conftest import base_config

    from .helpers import purchase

    app = create_app(base_config(database_uri, FakeClock()))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = purchase()
    time.sleep(max(0.0, start_at - time.time()))  # both processes start together
    numbers = []
    for _ in range(count):
        response = client.post("/api/v1/purchases", json=body, headers=headers)
        if response.status_code != 201:
            print(response.status_code, response.get_data(as_text=True), file=sys.stderr)
            return 1
        numbers.append(response.json["sequence_number"])
    print(" ".join(map(str, numbers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
