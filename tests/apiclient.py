"""A small JSON API caller for tests."""

from __future__ import annotations


class ApiCaller:
    def __init__(self, client, make):
        self.client = client
        self.make = make
        self._tokens: dict[int, str] = {}

    def headers(self, as_=None) -> dict:
        if as_ is None:
            return {}
        if isinstance(as_, str):  # a role name: a fresh user of that role
            as_ = self.make.user(as_)
        if as_.id not in self._tokens:
            self._tokens[as_.id] = self.make.token(as_)
        return {"Authorization": f"Bearer {self._tokens[as_.id]}"}

    def get(self, path, as_=None, **kwargs):
        return self.client.get(path, headers=self.headers(as_), **kwargs)

    def post(self, path, json=None, as_=None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers(as_), **kwargs)

    def put(self, path, json=None, as_=None, **kwargs):
        return self.client.put(path, json=json, headers=self.headers(as_), **kwargs)

    def delete(self, path, as_=None, **kwargs):
        return self.client.delete(path, headers=self.headers(as_), **kwargs)
